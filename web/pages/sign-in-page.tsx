/**
 * The sign-in page: a button per configured provider; when none is
 * configured, how an operator sets one up (with the exact callback URLs);
 * and password sign-in for accounts made with a password.
 */
import type { FC } from 'hono/jsx'
import { CsrfField, Layout } from '../layout.js'

export interface SignInPageProps {
  providers: { id: string; label: string }[]
  publicUrl: string
  csrf: string
  problem?: string
  identifier?: string
  /** Handle of the account this browser is already signed in to, if any. */
  signedInAs?: string
}

export const SignInPage: FC<SignInPageProps> = ({ providers, publicUrl, csrf, problem, identifier, signedInAs }) => (
  <Layout title="Sign in">
    <h1>Sign in to Hearth</h1>
    {signedInAs ? (
      <p class="notice">
        You are signed in as {signedInAs}: <a href="/account">go to your account</a>, or sign in below as someone else.
      </p>
    ) : null}
    {problem ? <p class="problem">{problem}</p> : null}
    {providers.length > 0 ? (
      <section class="card">
        <h2>With an account you already have</h2>
        <div class="providers">
          {providers.map((p) => (
            <a class="button" href={`/auth/${p.id}`} data-provider={p.id}>
              Sign in with {p.label}
            </a>
          ))}
        </div>
        <p class="muted">The first time, this makes your Hearth account: an identity (DID), a handle and your repository.</p>
      </section>
    ) : (
      <section class="card" data-section="setup">
        <h2>No sign-in provider is set up yet</h2>
        <p>To let people sign in, the operator of this server registers an OAuth app with GitHub or Google and sets its client id and secret:</p>
        <ul>
          <li>
            <strong>GitHub</strong>: create an OAuth app at github.com → Settings → Developer settings → OAuth Apps, with the
            authorization callback URL <code data-callback="github">{`${publicUrl}/auth/github/callback`}</code>; then set{' '}
            <code>HEARTH_GITHUB_CLIENT_ID</code> and <code>HEARTH_GITHUB_CLIENT_SECRET</code>.
          </li>
          <li>
            <strong>Google</strong>: create an OAuth client of type “Web application” in the Google Cloud console, with the
            authorized redirect URI <code data-callback="google">{`${publicUrl}/auth/google/callback`}</code>; then set{' '}
            <code>HEARTH_GOOGLE_CLIENT_ID</code> and <code>HEARTH_GOOGLE_CLIENT_SECRET</code>.
          </li>
        </ul>
        <p class="muted">Restart Hearth after setting them; the buttons then appear here.</p>
      </section>
    )}
    <section class="card">
      <h2>With a password</h2>
      <p class="muted">For accounts made with a password (createAccount or the admin tools).</p>
      <form class="stack" method="post" action="/sign-in/password">
        <CsrfField token={csrf} />
        <label>
          Handle or email
          <input type="text" name="identifier" autocomplete="username" required value={identifier ?? ''} />
        </label>
        <label>
          Password
          <input type="password" name="password" autocomplete="current-password" required />
        </label>
        <div>
          <button type="submit">Sign in</button>
        </div>
      </form>
    </section>
  </Layout>
)

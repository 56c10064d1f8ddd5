/**
 * The sign-in page: first the ways to sign in (a button per configured
 * provider, then the password form for accounts that have one); only when
 * no provider is configured, after those, how an operator sets one up (with
 * the exact callback URLs). `next` is the page to return to afterwards.
 */
import type { FC } from 'hono/jsx'
import { CsrfField, Layout } from '../layout.js'
import { useBranding, pagePath } from '../branding.js'

export interface SignInPageProps {
  providers: { id: string; label: string }[]
  publicUrl: string
  csrf: string
  problem?: string
  identifier?: string
  /** Handle of the account this browser is already signed in to, if any. */
  signedInAs?: string
  /** A checked same-origin path to go to after sign-in. */
  next?: string
  /** false: no password form (pages.passwordSignIn / HEARTH_PASSWORD_SIGN_IN off). Default true. */
  passwordSignIn?: boolean
}

const Heading: FC = () => <h1>Sign in to {useBranding().name}</h1>

export const SignInPage: FC<SignInPageProps> = ({ providers, publicUrl, csrf, problem, identifier, signedInAs, next, passwordSignIn = true }) => {
  const withNext = (href: string) => (next ? `${href}?next=${encodeURIComponent(next)}` : href)
  return (
    <Layout title="Sign in">
      <Heading />
      {signedInAs ? (
        <p class="notice">
          You are signed in as {signedInAs}: <a href={next ?? pagePath('/account')}>go on as {signedInAs}</a>, or sign in below as someone else.
        </p>
      ) : null}
      {next ? (
        <p class="muted" data-field="returning-to">
          After signing in you go back to the page you asked for.
        </p>
      ) : null}
      {problem ? <p class="problem">{problem}</p> : null}
      {providers.length > 0 ? (
        <section class="card" aria-labelledby="with-provider">
          <h2 id="with-provider">With an account you already have</h2>
          <div class="providers">
            {providers.map((p) => (
              <a class="button" href={withNext(pagePath(`/auth/${p.id}`))} data-provider={p.id}>
                Sign in with {p.label}
              </a>
            ))}
          </div>
          <p class="muted">The first time, this makes your account here: an identity (DID), a handle and your repository.</p>
        </section>
      ) : null}
      {passwordSignIn ? (
        <section class="card" aria-labelledby="with-password">
          <h2 id="with-password">{providers.length > 0 ? 'Or with a password' : 'With a password'}</h2>
          <form class="stack" method="post" action={pagePath('/sign-in/password')}>
            <CsrfField token={csrf} />
            {next ? <input type="hidden" name="next" value={next} /> : null}
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
          <p class="muted">For accounts that have a password (set on the Settings page, or made with createAccount or the admin tools).</p>
        </section>
      ) : null}
      {providers.length === 0 ? (
        <section class="card" data-section="setup" aria-labelledby="setup">
          <h2 id="setup">For the operator: no sign-in provider is set up yet</h2>
          <p>To let people sign in with GitHub or Google, register an OAuth app with the provider and set its client id and secret:</p>
          <ul>
            <li>
              <strong>GitHub</strong>: create an OAuth app at github.com → Settings → Developer settings → OAuth Apps, with the
              authorization callback URL <code data-callback="github">{`${publicUrl}${pagePath('/auth/github/callback')}`}</code>; then set{' '}
              <code>HEARTH_GITHUB_CLIENT_ID</code> and <code>HEARTH_GITHUB_CLIENT_SECRET</code>.
            </li>
            <li>
              <strong>Google</strong>: create an OAuth client of type “Web application” in the Google Cloud console, with the
              authorized redirect URI <code data-callback="google">{`${publicUrl}${pagePath('/auth/google/callback')}`}</code>; then set{' '}
              <code>HEARTH_GOOGLE_CLIENT_ID</code> and <code>HEARTH_GOOGLE_CLIENT_SECRET</code>.
            </li>
          </ul>
          <p class="muted">Restart the server after setting them; the buttons then appear at the top of this page.</p>
        </section>
      ) : null}
    </Layout>
  )
}

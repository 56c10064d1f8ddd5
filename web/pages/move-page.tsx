/**
 * "Move your account": how to take the account to another server (the
 * steps, and the one-time confirmation code the new server's tool asks
 * for), and how to bring one here.
 */
import type { FC } from 'hono/jsx'
import type { SignedIn } from '../../src/auth/web-session.js'
import { CsrfField, Layout } from '../layout.js'
import { pagePath } from '../branding.js'

export interface MovePageProps {
  me: SignedIn
  csrf: string
  publicUrl: string
  /** Set right after the person asked for a code: shown this once, never again. */
  code?: { token: string; expiresAt: Date }
  /** Where this server mails the code when the tool asks for one (mail configured and the account has an address). */
  mailTo?: string | null
}

export const MovePage: FC<MovePageProps> = ({ me, csrf, publicUrl, code, mailTo }) => (
  <Layout title="Move your account" me={me} csrf={csrf}>
    <h1>Move your account</h1>
    <p>
      Your account belongs to you, not to this server. You can take it to any server that supports the AT Protocol's account
      migration, and keep your identity (<span data-field="did">{me.account.did}</span>), your posts, your files and your
      followers.
    </p>
    {me.account.status !== 'active' ? (
      <p class="notice" data-field="status">
        This account is {me.account.status} here: it no longer takes new posts on this server.
      </p>
    ) : null}

    <section class="card">
      <h2>Moving to another server</h2>
      <ol>
        <li>Start the move on the new server, or with a migration tool such as goat. It copies your repository and files from here.</li>
        <li>
          When it asks for a confirmation code (the code other servers send by email), make one below. It works once and expires 15
          minutes after you make it; making another one cancels the previous one.
          {mailTo ? <span data-field="mail-to"> When the tool asks for it, this server also emails a code to {mailTo}.</span> : null}
        </li>
        <li>The tool asks this server to sign the change of your identity to the new server; the new server sends it.</li>
        <li>The new server activates your account; this server deactivates its copy, which stays readable by you until you delete it.</li>
      </ol>
      {code ? (
        <div class="notice">
          <p>
            Your confirmation code (shown only now): <code data-field="plc-token">{code.token}</code>
          </p>
          <p>
            It expires at <time datetime={code.expiresAt.toISOString()}>{code.expiresAt.toISOString().slice(11, 16)} UTC</time>.
          </p>
        </div>
      ) : null}
      <form method="post" action={pagePath('/account/move/code')}>
        <CsrfField token={csrf} />
        <button type="submit">{code ? 'Make a new code' : 'Make a confirmation code'}</button>
      </form>
    </section>

    <section class="card">
      <h2>Moving here from another server</h2>
      <p>
        <a href={pagePath('/account/move/in')} data-field="move-in-link">Move an account here</a> from any server that lets you sign in with a
        password: this server copies everything and shows how far it got.
      </p>
      <p>The server's operator can do the same with one command, which can be run again to finish a move that stopped:</p>
      <pre>
        <code>{`npm run cli -- migrate --from https://old-server.example --handle you.old-server.example --password '…'`}</code>
      </pre>
      <p>Or use any migration tool with this server's address: {publicUrl}</p>
    </section>
  </Layout>
)

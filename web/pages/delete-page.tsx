/**
 * Deleting the account: first what to do before (download, move to another
 * server), what deleting does and does not reach, then the typed
 * confirmation. And the page shown once it is done.
 */
import type { FC } from 'hono/jsx'
import type { SignedIn } from '../../src/auth/web-session.js'
import { CsrfField, Layout } from '../layout.js'
import { pagePath } from '../branding.js'

export const DeletePage: FC<{ me: SignedIn; csrf: string; problem?: string }> = ({ me, csrf, problem }) => (
  <Layout title="Delete your account" me={me} csrf={csrf}>
    <h1>Delete your account</h1>
    {problem ? (
      <p class="problem" role="alert" data-field="problem">
        {problem}
      </p>
    ) : null}
    <section class="card" aria-labelledby="before">
      <h2 id="before">Before you delete</h2>
      <ul>
        <li>
          <a href={pagePath('/account/export/repo.car')} download>
            Download your public repository
          </a>{' '}
          and{' '}
          <a href={pagePath('/account/export/scopes.zip')} download>
            your scopes
          </a>
          : after deleting, nothing can be recovered from this server.
        </li>
        <li>
          Or <a href={pagePath('/account/move')}>move your account to another server</a> instead: your DID, handle, followers and records
          go with you.
        </li>
      </ul>
    </section>
    <section class="card" aria-labelledby="what">
      <h2 id="what">What deleting does</h2>
      <ul>
        <li>Removes from this server your account, public repository, scopes, files, app passwords, grants and every session.</li>
        <li>Tells relays the account is deleted, so they and the apps that follow them drop it.</li>
        <li>
          Relays, AppViews and apps may still hold copies of your public records for a while, and apps you granted scopes to keep
          what they already read.
        </li>
        <li>
          Your DID document stays in the PLC directory as it is (it still names this server), as on other AT Protocol servers: your
          DID stays yours.
        </li>
      </ul>
    </section>
    <section class="card" aria-labelledby="confirm">
      <h2 id="confirm">Delete for good</h2>
      <form class="stack" method="post" action={pagePath('/account/delete')}>
        <CsrfField token={csrf} />
        <label>
          Type your handle, <strong>{me.account.handle}</strong>, to confirm
          <input type="text" name="confirm" autocomplete="off" spellcheck={false} required />
        </label>
        <div>
          <button class="danger solid" type="submit" data-field="delete">
            Delete my account
          </button>
        </div>
      </form>
    </section>
  </Layout>
)

export const DeletedPage: FC<{ handle: string }> = ({ handle }) => (
  <Layout title="Account deleted">
    <section class="card" data-field="deleted">
      <h1>Your account is deleted</h1>
      <p>
        {handle} and everything it held are gone from this server, and you are signed out everywhere. Relays have been told.
      </p>
    </section>
  </Layout>
)

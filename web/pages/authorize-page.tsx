/**
 * The OAuth authorization page: which app asks (name, logo, site from its
 * metadata, "unverified" when nothing vouches for it), for which account,
 * the permissions in plain words, and Approve or Deny.
 */
import type { FC } from 'hono/jsx'
import type { SignedIn } from '../../src/auth/web-session.js'
import type { PermissionLine } from '../../src/oauth/permission-words.js'
import { CsrfField, Layout } from '../layout.js'

export interface AuthorizePageProps {
  me: SignedIn
  csrf: string
  clientId: string
  requestUri: string
  appName: string
  logoUri?: string
  clientUri?: string
  unverified: boolean
  permissions: Array<PermissionLine & { included?: PermissionLine[] }>
  /** The login_hint named another account than the signed-in one. */
  hintedOther?: string
}

export const AuthorizePage: FC<AuthorizePageProps> = (p) => (
  <Layout title={`Sign in to ${p.appName}`} me={p.me} csrf={p.csrf}>
    <h1>
      <span data-field="app-name">{p.appName}</span> wants to use your account
    </h1>
    <section class="card" data-client={p.clientId}>
      <dl class="facts">
        <dt>App</dt>
        <dd>
          {p.logoUri ? <img class="app-logo" src={p.logoUri} alt="" width="32" height="32" /> : null}
          <strong>{p.appName}</strong>{' '}
          {p.unverified ? (
            <span class="badge warn" data-field="unverified">
              unverified
            </span>
          ) : null}
        </dd>
        {p.clientUri ? (
          <>
            <dt>Site</dt>
            <dd>
              <a data-field="client-uri" href={p.clientUri} rel="noopener noreferrer">
                {p.clientUri}
              </a>
            </dd>
          </>
        ) : null}
        <dt>Client id</dt>
        <dd class="muted">
          <code>{p.clientId}</code>
        </dd>
        <dt>Account</dt>
        <dd>
          <span data-field="account">{p.me.account.handle}</span> <span class="muted">({p.me.account.did})</span>
        </dd>
      </dl>
      {p.unverified ? <p class="muted">Nothing vouches for who runs this app: approve only if you started this sign-in yourself.</p> : null}
      {p.hintedOther ? (
        <p class="problem" data-field="hinted-other">
          The app asked to sign in as {p.hintedOther}, but you are signed in as {p.me.account.handle}. Sign out first to use the other account.
        </p>
      ) : null}
    </section>
    <section class="card">
      <h2>It will be able to</h2>
      <ul class="permissions">
        {p.permissions.map((line) => (
          <li data-scope={line.scope}>
            {line.text}
            {line.detail ? <p class="muted" data-field="set-detail">{line.detail}</p> : null}
            {line.included?.length ? (
              <ul>
                {line.included.map((i) => (
                  <li data-scope={i.scope}>{i.text}</li>
                ))}
              </ul>
            ) : null}
          </li>
        ))}
      </ul>
      <form class="stack" method="post" action="/oauth/authorize">
        <CsrfField token={p.csrf} />
        <input type="hidden" name="client_id" value={p.clientId} />
        <input type="hidden" name="request_uri" value={p.requestUri} />
        <div class="row">
          <button type="submit" name="decision" value="approve" data-action="approve">
            Approve
          </button>
          <button class="quiet" type="submit" name="decision" value="deny" data-action="deny">
            Deny
          </button>
        </div>
      </form>
    </section>
  </Layout>
)

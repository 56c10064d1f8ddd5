/**
 * Connected apps: every app the person signed in to with OAuth, what it may
 * do, since when, when it last called, and a Revoke button that ends its
 * tokens at once.
 */
import type { FC } from 'hono/jsx'
import type { SignedIn } from '../../src/auth/web-session.js'
import type { PermissionLine } from '../../src/oauth/permission-words.js'
import { CsrfField, Layout } from '../layout.js'
import { pagePath } from '../branding.js'

export interface ConnectedApp {
  sessionId: string
  clientId: string
  name: string
  permissions: PermissionLine[]
  createdAt: number
  lastUsedAt: number
}

const when = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC'

export const ConnectedAppsPage: FC<{ me: SignedIn; csrf: string; apps: ConnectedApp[] }> = ({ me, csrf, apps }) => (
  <Layout title="Connected apps" me={me} csrf={csrf}>
    <h1>Connected apps</h1>
    {apps.length === 0 ? <p class="muted" data-field="no-apps">No app is signed in to your account.</p> : null}
    {apps.map((a) => (
      <section class="card" data-oauth-session={a.sessionId} data-client={a.clientId}>
        <h2>{a.name}</h2>
        <p class="muted">
          <code>{a.clientId}</code>
        </p>
        <ul class="permissions">
          {a.permissions.map((p) => (
            <li data-scope={p.scope}>{p.text}</li>
          ))}
        </ul>
        <p class="muted">
          Granted {when(a.createdAt)} · last used <span data-field="last-used">{when(a.lastUsedAt)}</span>
        </p>
        <form class="inline" method="post" action={pagePath('/account/connected-apps/revoke')}>
          <CsrfField token={csrf} />
          <input type="hidden" name="id" value={a.sessionId} />
          <button class="quiet" type="submit" data-action="revoke">
            Revoke
          </button>
        </form>
      </section>
    ))}
  </Layout>
)

/**
 * The apps that can read the person's scopes: pending requests waiting for a
 * decision, then every grant (active ones with a revoke button, ended ones
 * for the record), each linking to its read log. Apps are named by the
 * handle their DID document claims, with the DID beside it.
 */
import type { FC } from 'hono/jsx'
import type { SignedIn } from '../../src/auth/web-session.js'
import type { Grant, GrantStatus } from '../../src/grant/grant-store.js'
import type { AccessRequest } from '../../src/grant/access-requests.js'
import { CsrfField, Layout } from '../layout.js'
import { when } from './approve-page.js'
import { pagePath } from '../branding.js'

export interface AppsPageProps {
  me: SignedIn
  csrf: string
  pending: AccessRequest[]
  grants: { grant: Grant; status: GrantStatus; reads: number }[]
  /** Set right after a revoke. */
  revoked?: string
  /** App DID → the handle its DID document claims. */
  handles: Map<string, string>
}

/** An app as people know it: its handle when it has one, the DID in small type. */
export const AppName: FC<{ did: string; handle?: string }> = ({ did, handle }) =>
  handle ? (
    <span data-app={did}>
      <strong data-field="app-handle">{handle}</strong>
      <br />
      <code class="muted">{did}</code>
    </span>
  ) : (
    <code data-app={did}>{did}</code>
  )

export const AppsPage: FC<AppsPageProps> = ({ me, csrf, pending, grants, revoked, handles }) => (
  <Layout title="Apps" me={me} csrf={csrf}>
    <h1>Apps that can read your scopes</h1>
    {revoked ? (
      <p class="notice" data-field="revoked">
        Grant {revoked} is revoked: its app can no longer read those scopes.
      </p>
    ) : null}
    {pending.length > 0 ? (
      <section class="card" data-section="pending">
        <h2>Waiting for you</h2>
        <table>
          <thead>
            <tr>
              <th>App</th>
              <th>Asks for</th>
              <th>
                <span class="muted">Decide</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {pending.map((r) => (
              <tr data-request={r.id}>
                <td data-label="App">
                  <AppName did={r.appDid} handle={handles.get(r.appDid)} />
                </td>
                <td data-label="Asks for">{r.requested.join(', ')}</td>
                <td>
                  <a class="button" href={pagePath(`/account/requests/${r.id}`)}>
                    Review
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    ) : null}
    <section class="card">
      <h2>Grants</h2>
      {grants.length === 0 ? (
        <p class="muted" data-field="no-grants">
          No app can read your scopes.
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>App</th>
              <th>Scopes</th>
              <th>Status</th>
              <th class="num">Reads</th>
              <th>
                <span class="muted">Revoke</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {grants.map(({ grant, status, reads }) => (
              <tr data-grant={grant.id} data-status={status}>
                <td data-label="App">
                  <a href={pagePath(`/account/apps/${grant.id}`)}>
                    <AppName did={grant.granteeDid} handle={handles.get(grant.granteeDid)} />
                  </a>
                </td>
                <td data-label="Scopes">{grant.scopes.join(', ')}</td>
                <td class="muted" data-label="Status">
                  {status === 'active' ? (grant.expiresAt ? `until ${when(grant.expiresAt)}` : 'active') : status}
                </td>
                <td class="num" data-label="Reads">
                  {reads}
                </td>
                <td>
                  {status === 'active' ? (
                    <form class="inline" method="post" action={pagePath('/account/apps/revoke')}>
                      <CsrfField token={csrf} />
                      <input type="hidden" name="id" value={grant.id} />
                      <button class="danger" type="submit" data-revoke={grant.id}>
                        Revoke
                      </button>
                    </form>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  </Layout>
)

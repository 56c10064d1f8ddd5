/**
 * An app's access request, where the person decides: who asks, why, for
 * which scopes (a checkbox each, all ticked to start with: untick what the
 * app should not get), for how long, and Approve or Deny. A request already
 * decided, or expired, shows what became of it.
 */
import type { FC } from 'hono/jsx'
import type { SignedIn } from '../../src/auth/web-session.js'
import type { AccessRequest } from '../../src/grant/access-requests.js'
import { CsrfField, Layout } from '../layout.js'
import { pagePath } from '../branding.js'

export const when = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ') + ' UTC'

/** The form field of a scope's checkbox (forms here keep one value per name). */
export const scopeField = (scope: string) => `scope:${scope}`

/** Grant lengths offered on the page, in days ('' = until revoked). */
export const GRANT_LENGTHS: { value: string; label: string; days: number | null }[] = [
  { value: '', label: 'until I revoke it', days: null },
  { value: '1', label: 'for a day', days: 1 },
  { value: '30', label: 'for 30 days', days: 30 },
  { value: '365', label: 'for a year', days: 365 },
]

export interface ApprovePageProps {
  me: SignedIn
  csrf: string
  request: AccessRequest
  /** The app's handle from its DID document, when it could be read. */
  appHandle?: string
  /** Records the person holds now in each requested scope. */
  counts: Record<string, number>
  problem?: string
}

export const ApprovePage: FC<ApprovePageProps> = ({ me, csrf, request, appHandle, counts, problem }) => (
  <Layout title="An app asks for your data" me={me} csrf={csrf}>
    <h1>An app asks to read your data</h1>
    {problem ? <p class="problem">{problem}</p> : null}
    <section class="card" data-request={request.id} data-status={request.status}>
      <dl class="facts">
        <dt>App</dt>
        <dd>
          <code data-field="app">{request.appDid}</code>
          {appHandle ? <span class="muted"> ({appHandle})</span> : null}
        </dd>
        <dt>Why</dt>
        <dd data-field="reason">{request.reason}</dd>
        <dt>Asked</dt>
        <dd class="muted">{when(request.createdAt)}</dd>
        {request.redirectUri ? (
          <>
            <dt>Then</dt>
            <dd class="muted">you go back to {new URL(request.redirectUri).host}</dd>
          </>
        ) : null}
      </dl>
    </section>
    {request.status === 'pending' ? (
      <section class="card">
        <form class="stack" method="post" action={pagePath(`/account/requests/${request.id}`)}>
          <CsrfField token={csrf} />
          <h2>Scopes it asks for</h2>
          {request.requested.map((scope) => (
            <label class="check" data-scope={scope}>
              <input type="checkbox" name={scopeField(scope)} value="1" checked />
              <code>{scope}</code>
              <span class="muted">{counts[scope] ? `${counts[scope]} ${counts[scope] === 1 ? 'record' : 'records'} now` : 'nothing in it yet'}</span>
            </label>
          ))}
          <label>
            For how long
            <select name="length">
              {GRANT_LENGTHS.map((l) => (
                <option value={l.value}>{l.label}</option>
              ))}
            </select>
          </label>
          <p class="muted">The app reads the scopes you tick, including what is added to them later, until the grant ends. You can revoke it at any time under Apps.</p>
          <div>
            <button type="submit" name="decision" value="approve" data-decision="approve">
              Approve ticked scopes
            </button>{' '}
            <button class="danger" type="submit" name="decision" value="deny" data-decision="deny">
              Deny
            </button>
          </div>
        </form>
      </section>
    ) : (
      <section class="card" data-field="outcome">
        <p>
          {request.status === 'approved'
            ? `Approved: the app can read ${(request.approved ?? []).join(', ')}.`
            : request.status === 'denied'
              ? 'Denied: the app got nothing.'
              : 'This request expired before anyone decided: the app got nothing.'}
        </p>
        <p>
          <a href={pagePath('/account/apps')}>Apps that can read your scopes</a>
        </p>
      </section>
    )}
  </Layout>
)

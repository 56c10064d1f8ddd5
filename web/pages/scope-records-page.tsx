/**
 * One scope's records, newest first, a page at a time: when each was
 * collected and what it holds.
 */
import type { FC } from 'hono/jsx'
import type { SignedIn } from '../../src/auth/web-session.js'
import { Layout } from '../layout.js'

export interface ScopeRecordRow {
  rkey: string
  cid: string
  collectedAt: string
  data: unknown
}

export interface ScopeRecordsPageProps {
  me: SignedIn
  csrf: string
  scope: string
  total: number
  records: ScopeRecordRow[]
  /** Link to the next (older) page, if there is one. */
  nextCursor?: string
}

export const ScopeRecordsPage: FC<ScopeRecordsPageProps> = ({ me, csrf, scope, total, records, nextCursor }) => (
  <Layout title={scope} me={me} csrf={csrf}>
    <p>
      <a href="/account/scopes">← Your scopes</a>
    </p>
    <h1>
      <code>{scope}</code>
    </h1>
    <p class="muted" data-field="total">
      {total} {total === 1 ? 'record' : 'records'}
    </p>
    {records.length === 0 ? <p class="muted">No records.</p> : null}
    {records.map((r) => (
      <section class="card" data-rkey={r.rkey}>
        <p class="muted">
          Collected {r.collectedAt.slice(0, 19).replace('T', ' ')} UTC · <code>{r.rkey}</code>
        </p>
        <pre data-field="data">{JSON.stringify(r.data, null, 2)}</pre>
      </section>
    ))}
    {nextCursor ? (
      <p>
        <a class="button" href={`/account/scopes/${scope}?cursor=${encodeURIComponent(nextCursor)}`} data-field="older">
          Older records
        </a>
      </p>
    ) : null}
  </Layout>
)

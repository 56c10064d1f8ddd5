/**
 * One scope's records, newest first, a page at a time: when each was
 * collected and what it holds, as a folded JSON tree; a key search opens and
 * marks the keys that match and hides records without one (pages.js).
 */
import type { FC } from 'hono/jsx'
import type { SignedIn } from '../../src/auth/web-session.js'
import { Layout } from '../layout.js'
import { plural } from '../plural.js'
import { JsonView } from './json-view.js'
import { pagePath } from '../branding.js'

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
  /** The key search as typed (kept in the URL, so a search can be shared or reloaded). */
  search?: string
}

export const ScopeRecordsPage: FC<ScopeRecordsPageProps> = ({ me, csrf, scope, total, records, nextCursor, search }) => (
  <Layout title={scope} me={me} csrf={csrf}>
    <ul class="crumbs">
      <li>
        <a href={pagePath('/account/scopes')}>Your scopes</a>
      </li>
      <li>
        <code>{scope}</code>
      </li>
    </ul>
    <h1>
      <code>{scope}</code>
    </h1>
    <p class="muted" data-field="total">
      {plural(total, 'record')}, newest first
    </p>
    {records.length > 0 ? (
      <form class="search" method="get" action={pagePath(`/account/scopes/${scope}`)} data-key-search role="search">
        <label>
          Find a key
          <input type="search" name="key" value={search ?? ''} placeholder="e.g. caption" autocomplete="off" />
        </label>
        <button type="submit">Find</button>
        <span class="muted" data-search-status role="status" aria-live="polite"></span>
      </form>
    ) : null}
    {records.length === 0 ? <p class="muted">No records.</p> : null}
    {records.map((r) => (
      <section class="card" data-rkey={r.rkey} data-record aria-label={`Record ${r.rkey}`}>
        <p class="muted">
          Collected {r.collectedAt.slice(0, 19).replace('T', ' ')} UTC · <code>{r.rkey}</code>
        </p>
        <JsonView value={r.data} label="data" options={{ did: me.account.did, blobUrl: () => null }} />
      </section>
    ))}
    {nextCursor ? (
      <p class="pager">
        <a class="button" href={pagePath(`/account/scopes/${scope}?cursor=${encodeURIComponent(nextCursor)}${search ? `&key=${encodeURIComponent(search)}` : ''}`)} data-field="older">
          Older records
        </a>
      </p>
    ) : null}
  </Layout>
)

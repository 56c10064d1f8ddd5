/**
 * The person's scopes: each private scope repository with how many records
 * it holds and when the newest was collected, linking to its records.
 */
import type { FC } from 'hono/jsx'
import type { SignedIn } from '../../src/auth/web-session.js'
import { Layout } from '../layout.js'
import type { ScopeDeletion } from '../../src/scope/scope-deletions.js'
import { ScopeDeletionsSection } from './scope-deletions-section.js'
import { pagePath } from '../branding.js'

export interface ScopeRow {
  scope: string
  records: number
  latestCollectedAt: string | null
  /** Apps that may read it now. */
  readers: number
}

export interface ScopesPageProps {
  me: SignedIn
  csrf: string
  scopes: ScopeRow[]
  deletions?: ScopeDeletion[]
}

export const ScopesPage: FC<ScopesPageProps> = ({ me, csrf, scopes, deletions = [] }) => (
  <Layout title="Your scopes" me={me} csrf={csrf}>
    <h1>Your scopes</h1>
    <p class="muted">
      Scopes hold your private data: each is its own signed repository, kept out of your public repository and the public
      firehose. Only the apps you grant a scope to can read it (see <a href={pagePath('/account/apps')}>Apps</a>).
    </p>
    <section class="card">
      {scopes.length === 0 ? (
        <p class="muted" data-field="no-scopes">
          No scopes yet. A data connector on this machine (the control socket) or a client of yours
          (dev.hearth.scope.ingest) puts data in.
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Scope</th>
              <th class="num">Records</th>
              <th>Latest collected</th>
              <th class="num">Apps</th>
            </tr>
          </thead>
          <tbody>
            {scopes.map((s) => (
              <tr data-scope={s.scope}>
                <td data-label="Scope">
                  <a href={pagePath(`/account/scopes/${s.scope}`)}>
                    <code>{s.scope}</code>
                  </a>
                </td>
                <td class="num" data-label="Records" data-count={String(s.records)}>
                  {s.records}
                </td>
                <td class="muted" data-label="Latest collected" data-field="latest">
                  {s.latestCollectedAt ? s.latestCollectedAt.slice(0, 19).replace('T', ' ') + ' UTC' : '—'}
                </td>
                <td class="num" data-label="Apps" data-readers={String(s.readers)}>
                  {s.readers}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
    <ScopeDeletionsSection deletions={deletions} />
  </Layout>
)

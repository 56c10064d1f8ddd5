/**
 * On the scopes page: what the person deleted from their scopes and when
 * (a record by key, a whole scope, everything before a date), never what
 * the deleted data held — that is gone.
 */
import type { FC } from 'hono/jsx'
import type { ScopeDeletion } from '../../src/scope/scope-deletions.js'

const when = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ') + ' UTC'

const what = (d: ScopeDeletion) =>
  d.kind === 'record' ? `record “${d.detail}”` : d.kind === 'scope' ? 'the whole scope' : `everything collected before ${d.detail.slice(0, 19).replace('T', ' ')} UTC`

export const ScopeDeletionsSection: FC<{ deletions: ScopeDeletion[] }> = ({ deletions }) => (
  <section class="card" data-section="deletions">
    <h2>Deleted</h2>
    {deletions.length === 0 ? (
      <p class="muted" data-field="no-deletions">Nothing deleted yet.</p>
    ) : (
      <table>
        <thead>
          <tr>
            <th>When</th>
            <th>Scope</th>
            <th>What</th>
            <th class="num">Records</th>
            <th class="num">Files</th>
          </tr>
        </thead>
        <tbody>
          {deletions.map((d) => (
            <tr data-deletion={d.kind} data-scope={d.scope}>
              <td class="muted">{when(d.deletedAt)}</td>
              <td>
                <code>{d.scope}</code>
              </td>
              <td>{what(d)}</td>
              <td class="num">{d.records}</td>
              <td class="num">{d.files}</td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
    <p class="muted">Deleted data is erased: its blocks, its past events on the scoped stream and its files are removed from this server.</p>
  </section>
)

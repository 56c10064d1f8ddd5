/**
 * One grant: which app, which scopes, since when and until when, and its
 * read log (which scope the app read, when, how).
 */
import type { FC } from 'hono/jsx'
import type { SignedIn } from '../../src/auth/web-session.js'
import type { Grant, GrantStatus } from '../../src/grant/grant-store.js'
import type { ReadLogEntry } from '../../src/grant/read-log.js'
import { CsrfField, Layout } from '../layout.js'
import { when } from './approve-page.js'
import { pagePath } from '../branding.js'

export interface GrantPageProps {
  me: SignedIn
  csrf: string
  grant: Grant
  status: GrantStatus
  reads: ReadLogEntry[]
  appHandle?: string
}

export const GrantPage: FC<GrantPageProps> = ({ me, csrf, grant, status, reads, appHandle }) => (
  <Layout title="Grant" me={me} csrf={csrf}>
    <p>
      <a href={pagePath('/account/apps')}>← Apps</a>
    </p>
    <h1>Grant to an app</h1>
    <section class="card">
      <dl class="facts">
        <dt>App</dt>
        <dd>
          {appHandle ? <strong>{appHandle} </strong> : null}
          <code data-field="grantee">{grant.granteeDid}</code>
        </dd>
        <dt>Scopes</dt>
        <dd data-field="scopes">{grant.scopes.join(', ')}</dd>
        <dt>Granted</dt>
        <dd>{when(grant.createdAt)}</dd>
        <dt>Status</dt>
        <dd data-field="status">
          {status}
          {grant.revokedAt ? ` (${when(grant.revokedAt)})` : grant.expiresAt ? ` (until ${when(grant.expiresAt)})` : ''}
        </dd>
      </dl>
      {status === 'active' ? (
        <p>
          <form class="inline" method="post" action={pagePath('/account/apps/revoke')}>
            <CsrfField token={csrf} />
            <input type="hidden" name="id" value={grant.id} />
            <button class="danger" type="submit" data-revoke={grant.id}>
              Revoke
            </button>
          </form>
        </p>
      ) : null}
    </section>
    <section class="card">
      <h2>What it read</h2>
      {reads.length === 0 ? (
        <p class="muted" data-field="no-reads">
          Nothing yet.
        </p>
      ) : (
        <table data-field="read-log">
          <thead>
            <tr>
              <th>When</th>
              <th>Scope</th>
              <th>How</th>
              <th>Detail</th>
            </tr>
          </thead>
          <tbody>
            {reads.map((r) => (
              <tr data-read={r.method}>
                <td class="muted" data-label="When">
                  {when(r.readAt)}
                </td>
                <td data-label="Scope">
                  <code>{r.scope}</code>
                </td>
                <td data-label="How">{r.method.replace('dev.hearth.scope.', '')}</td>
                <td class="muted" data-label="Detail">
                  {r.detail ?? ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  </Layout>
)

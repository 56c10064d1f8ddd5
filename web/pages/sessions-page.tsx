/**
 * Where the person is signed in to these pages, and ending those sessions.
 */
import type { FC } from 'hono/jsx'
import type { SignedIn } from '../../src/auth/web-session.js'
import type { WebSession } from '../../src/auth/web-session-store.js'
import { CsrfField, Layout } from '../layout.js'
import { pagePath } from '../branding.js'

export interface SessionsPageProps {
  me: SignedIn
  csrf: string
  sessions: WebSession[]
}

const when = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC'

export const SessionsPage: FC<SessionsPageProps> = ({ me, csrf, sessions }) => (
  <Layout title="Sessions" me={me} csrf={csrf}>
    <h1>Where you are signed in</h1>
    <section class="card">
      <table>
        <thead>
          <tr>
            <th>Signed in with</th>
            <th>Browser</th>
            <th>Started</th>
            <th>Last seen</th>
            <th>
              <span class="muted">End</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => (
            <tr data-session={s.id} data-current={s.id === me.session.id ? 'yes' : 'no'}>
              <td data-label="Signed in with">
                {s.via}
                {s.id === me.session.id ? <span class="tag"> this browser</span> : null}
              </td>
              <td class="muted" data-label="Browser">
                {(s.userAgent ?? 'unknown').slice(0, 60)}
              </td>
              <td class="muted" data-label="Started">
                {when(s.createdAt)}
              </td>
              <td class="muted" data-label="Last seen">
                {when(s.lastSeenAt)}
              </td>
              <td>
                <form class="inline" method="post" action={pagePath('/account/sessions/revoke')}>
                  <CsrfField token={csrf} />
                  <input type="hidden" name="id" value={s.id} />
                  <button class="danger" type="submit">
                    {s.id === me.session.id ? 'Sign out here' : 'Revoke'}
                  </button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  </Layout>
)

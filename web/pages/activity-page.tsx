/**
 * Live activity: commits to the person's repositories and reads of their
 * scopes by apps, newest first; pages.js adds new ones as they happen
 * (Server-Sent Events from /account/activity/stream).
 */
import type { FC } from 'hono/jsx'
import type { SignedIn } from '../../src/auth/web-session.js'
import type { ActivityLine } from '../activity-view.js'
import { Layout } from '../layout.js'
import { pagePath } from '../branding.js'

export interface ActivityPageProps {
  me: SignedIn
  csrf: string
  lines: ActivityLine[]
  /** Highest event seq and read id shown: the stream continues after them. */
  marks: { seq: number; read: number }
}

export const ActivityPage: FC<ActivityPageProps> = ({ me, csrf, lines, marks }) => (
  <Layout title="Activity" me={me} csrf={csrf}>
    <h1>Activity</h1>
    <p class="muted">
      What happens to your data: every commit to your public repository and your scopes, and every read of a scope by an app
      you granted it to. The newest 100 are shown; new ones appear at the top as they happen.
    </p>
    <p class="muted" data-live-status role="status" aria-live="polite"></p>
    <section class="card">
      {lines.length === 0 ? (
        <p class="muted" data-field="no-activity">
          Nothing has happened yet.
        </p>
      ) : null}
      <ul class="plain activity" data-activity-stream={pagePath('/account/activity/stream')} data-seq={String(marks.seq)} data-read={String(marks.read)}>
        {lines.map((l) => (
          <li id={l.id} data-kind={l.kind}>
            <span class="what">{l.title}</span>
            <span>{l.detail}</span>
            <span class="muted">{l.when}</span>
          </li>
        ))}
      </ul>
    </section>
  </Layout>
)

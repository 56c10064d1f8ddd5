/**
 * "Move your account here": the form that starts a move from another
 * server (handle, its server, the old password), and the page that follows
 * one: its progress (records, blobs, bytes), the mailed confirmation code,
 * resuming a move that stopped, and what is left once it is done.
 *
 * Without JavaScript the progress page reloads itself while the move runs;
 * with it, pages.js polls the move's JSON status and reloads on a change of
 * step.
 */
import type { FC } from 'hono/jsx'
import type { SignedIn } from '../../src/auth/web-session.js'
import type { MoveInView } from '../../src/move/move-in-jobs.js'
import { CsrfField, Layout } from '../layout.js'
import { pagePath } from '../branding.js'

const PasswordNote: FC = () => (
  <p class="muted" data-field="password-note">
    Your old password is used to sign in to your old server and nothing else. It is never written to disk or to any log: this
    server keeps only the old server's session, in memory, while the move runs, and forgets it when the move ends or the server
    restarts (then you give the password again to go on).
  </p>
)

export interface MoveInFormProps {
  me: SignedIn | null
  csrf: string
  handleDomain: string
  /** `invite`: the form asks for an invite code; `closed`: moving in is not offered. */
  registration: 'open' | 'invite' | 'closed'
  problem?: string
  values?: { identifier?: string; service?: string; newHandle?: string }
}

export const MoveInFormPage: FC<MoveInFormProps> = ({ me, csrf, handleDomain, registration, problem, values = {} }) => (
  <Layout title="Move your account here" me={me} csrf={csrf}>
    <h1>Move your account here</h1>
    <p>
      Bring your account from another server: your identity, posts, files and preferences come along, and your followers keep
      following you. Your old server must let you sign in with a password (or an app password).
    </p>
    {registration === 'closed' ? (
      <p class="problem" data-field="problem">
        This server is not taking new accounts, so it cannot take yours.
      </p>
    ) : (
      <section class="card">
        {problem ? (
          <p class="problem" role="alert" data-field="problem">
            {problem}
          </p>
        ) : null}
        <form method="post" action={pagePath('/account/move/in')} data-move-in-form>
          <CsrfField token={csrf} />
          <label>
            Your handle there
            <input name="identifier" required autocomplete="username" value={values.identifier ?? ''} placeholder="you.bsky.social" />
          </label>
          <label>
            Your old server's address (leave empty to find it from your handle)
            <input name="service" type="url" value={values.service ?? ''} placeholder="https://old-server.example" />
          </label>
          <label>
            Password or app password there
            <input name="password" type="password" required autocomplete="current-password" />
          </label>
          <label>
            Your handle here (ends in {handleDomain})
            <input name="newHandle" value={values.newHandle ?? ''} placeholder={`you${handleDomain}`} />
          </label>
          {registration === 'invite' ? (
            <label>
              Invite code
              <input name="inviteCode" required autocomplete="off" />
            </label>
          ) : null}
          <button type="submit">Start moving</button>
        </form>
        <PasswordNote />
      </section>
    )}
    <p>
      Until the last step, your identity still points to your old server: stopping anywhere loses nothing, and your old account
      goes on working.
    </p>
  </Layout>
)

/** What each step of a move is called on the page (and in its JSON status). */
export const PHASES: Record<string, string> = {
  account: 'Making your account here',
  repository: 'Copying your posts and other records',
  blobs: 'Copying your files (images, videos)',
  preferences: 'Copying your preferences',
  confirmation: 'Confirming the move with your old server',
  activation: 'Switching your identity to this server',
  done: 'Done',
}

export interface MoveInStatusProps {
  me: SignedIn | null
  csrf: string
  view: MoveInView
  problem?: string
}

export const MoveInStatusPage: FC<MoveInStatusProps> = ({ me, csrf, view, problem }) => {
  const p = view.progress
  const base = pagePath(`/account/move/in/${view.id}`)
  const running = view.state === 'running'
  return (
    <Layout title="Moving your account here" me={me} csrf={csrf}>
      <h1>Moving your account here</h1>
      {running ? <noscript>{<meta http-equiv="refresh" content="3" />}</noscript> : null}
      <p>
        From <span data-field="old-identifier">{view.oldIdentifier}</span> on <span data-field="old-service">{view.oldService}</span>{' '}
        to <span data-field="new-handle">{view.newHandle}</span> here.
      </p>
      <section class="card" data-move-in-status={`${base}/status`} data-state={view.state}>
        <p>
          <strong data-field="state">{stateLine(view)}</strong>
        </p>
        {p ? (
          <ul data-field="progress">
            <li>
              Step: <span data-progress="phase">{PHASES[p.phase] ?? p.phase}</span>
            </li>
            <li>
              Records: <span data-progress="records">{p.records}</span>
            </li>
            <li>
              Files: <span data-progress="blobs">{p.blobs.done}</span> of <span data-progress="blobs-total">{p.blobs.total}</span>
            </li>
            <li>
              Copied: <span data-progress="bytes">{p.bytes}</span> bytes
            </li>
          </ul>
        ) : null}
        {view.steps.length > 0 ? (
          <details>
            <summary>What was done</summary>
            <ol data-field="steps">
              {view.steps.map((s) => (
                <li>{s}</li>
              ))}
            </ol>
          </details>
        ) : null}
        {problem ? (
          <p class="problem" role="alert" data-field="problem">
            {problem}
          </p>
        ) : null}
      </section>

      {view.state === 'needs-code' ? (
        <section class="card">
          <h2>The code from your email</h2>
          <p>
            Your old server has emailed a confirmation code to the account's address. Paste it here: it lets your old server sign the
            change of your identity to this server.
          </p>
          {view.codeProblem ? (
            <p class="problem" role="alert" data-field="code-problem">
              {view.codeProblem}
            </p>
          ) : null}
          <form method="post" action={`${base}/code`}>
            <CsrfField token={csrf} />
            <label>
              Confirmation code
              <input name="code" required autocomplete="one-time-code" placeholder="XXXXX-XXXXX" />
            </label>
            <button type="submit">Confirm the move</button>
          </form>
        </section>
      ) : null}

      {view.state === 'interrupted' || view.state === 'failed' ? (
        <section class="card">
          <h2>Go on with the move</h2>
          <p>
            {view.state === 'interrupted'
              ? 'This server restarted while your account was moving, and it had forgotten your old session. '
              : ''}
            Give your old password again to go on where it stopped: what is here already is kept, and only what is missing is copied.
            If your old server mailed you a code already, you may paste it too.
          </p>
          <form method="post" action={`${base}/resume`}>
            <CsrfField token={csrf} />
            <label>
              Password or app password on {view.oldService}
              <input name="password" type="password" required autocomplete="current-password" />
            </label>
            <label>
              Confirmation code from the email (if you have one)
              <input name="code" autocomplete="one-time-code" />
            </label>
            <button type="submit">Go on moving</button>
          </form>
          <PasswordNote />
        </section>
      ) : null}

      {view.state === 'done' ? (
        <section class="card" data-field="done">
          <h2>Your account lives here now</h2>
          <p>
            Your identity points to this server, and your old server has deactivated its copy (you can delete it there once you are
            sure nothing is missing).
          </p>
          <h3>Left to do</h3>
          <ul data-field="left">
            {me && me.account.did === view.did ? null : (
              <li>
                <a href={pagePath('/sign-in')}>Sign in</a> as {view.newHandle}.
              </li>
            )}
            <li>
              Add a way to sign in again: a <a href={pagePath('/account/settings')}>password or a GitHub or Google sign-in</a> (this server did not
              keep your old password).
            </li>
            <li>Sign in to your apps again, with your handle here.</li>
          </ul>
          <p>
            <a href={pagePath('/account')}>Go to your account</a>
          </p>
        </section>
      ) : null}
    </Layout>
  )
}

function stateLine(view: MoveInView): string {
  switch (view.state) {
    case 'running':
      return 'Moving… this page updates as it goes.'
    case 'needs-code':
      return 'Waiting for the confirmation code from your email.'
    case 'interrupted':
      return 'The move stopped when this server restarted.'
    case 'failed':
      return `The move stopped: ${view.message ?? 'an unknown problem'}`
    case 'done':
      return 'Your account has moved here.'
  }
}

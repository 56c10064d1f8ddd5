/**
 * App passwords: the ones that exist (by name), a form to make one (its
 * password is shown on this page once and never again), and revoking.
 */
import type { FC } from 'hono/jsx'
import type { SignedIn } from '../../src/auth/web-session.js'
import type { AppPassword } from '../../src/account/app-passwords.js'
import { CsrfField, Layout } from '../layout.js'
import { pagePath } from '../branding.js'

export interface AppPasswordsPageProps {
  me: SignedIn
  csrf: string
  list: AppPassword[]
  created?: { name: string; password: string }
  problem?: string
  /** How the person signs in to these pages ("GitHub", "Google", "password"), for the wording. */
  signsInWith: string[]
}

const orList = (items: string[]) => (items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`)

export const AppPasswordsPage: FC<AppPasswordsPageProps> = ({ me, csrf, list, created, problem, signsInWith }) => (
  <Layout title="App passwords" me={me} csrf={csrf}>
    <h1>App passwords</h1>
    <p class="muted">
      An app password lets a client (an AT Protocol app, a script) sign in as <strong>{me.account.handle}</strong> without
      {signsInWith.length > 0 ? ` your ${orList(signsInWith)} sign-in` : ' your own sign-in'}. Give each client its own, and revoke it
      when you stop using the client.
    </p>
    {problem ? <p class="problem">{problem}</p> : null}
    {created ? (
      <section class="card notice">
        <h2>“{created.name}” is ready</h2>
        <p>Copy it now: it is shown only this once.</p>
        <p class="copy-row">
          <code class="secret" id="new-app-password" data-field="new-app-password">
            {created.password}
          </code>
          <button type="button" class="quiet" data-copy="new-app-password" hidden>
            Copy
          </button>
          <span data-copied role="status" aria-live="polite"></span>
        </p>
      </section>
    ) : null}
    <section class="card">
      <h2>New app password</h2>
      <form class="stack" method="post" action={pagePath('/account/app-passwords')}>
        <CsrfField token={csrf} />
        <label>
          Name
          <input type="text" name="name" maxlength={64} required placeholder="e.g. my phone" />
        </label>
        <label class="check">
          <input type="checkbox" name="privileged" value="1" /> Privileged (may also make app passwords and change the handle)
        </label>
        <div>
          <button type="submit">Create</button>
        </div>
      </form>
    </section>
    <section class="card">
      <h2>Existing</h2>
      {list.length === 0 ? (
        <p class="muted">None yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Made</th>
              <th>
                <span class="muted">Revoke</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((p) => (
              <tr data-app-password={p.name}>
                <td data-label="Name">{p.name}</td>
                <td class="muted" data-label="Kind">
                  {p.privileged ? 'privileged' : 'standard'}
                </td>
                <td class="muted" data-label="Made">
                  {p.createdAt.slice(0, 10)}
                </td>
                <td>
                  <form class="inline" method="post" action={pagePath('/account/app-passwords/revoke')}>
                    <CsrfField token={csrf} />
                    <input type="hidden" name="name" value={p.name} />
                    <button class="danger" type="submit" aria-label={`Revoke ${p.name}`}>
                      Revoke
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  </Layout>
)

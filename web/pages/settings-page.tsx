/**
 * Account control: the account's password, its sign-ins (link, unlink, never
 * the last way in), downloading everything, deactivating and reactivating,
 * and the way to deleting the account.
 */
import type { FC } from 'hono/jsx'
import type { SignedIn } from '../../src/auth/web-session.js'
import type { LinkedIdentity } from '../../src/account/linked-identities.js'
import { MIN_PASSWORD_LENGTH } from '../../src/account/account-password.js'
import { CsrfField, Layout } from '../layout.js'
import { pagePath } from '../branding.js'

export interface SettingsPageProps {
  me: SignedIn
  csrf: string
  linked: LinkedIdentity[]
  linkable: { id: string; label: string }[]
  providerLabels: Record<string, string>
  notice?: string
  problem?: string
}

export const SettingsPage: FC<SettingsPageProps> = ({ me, csrf, linked, linkable, providerLabels, notice, problem }) => {
  const hasPassword = !!me.account.passwordHash
  const canUnlink = hasPassword || linked.length > 1
  const deactivated = me.account.status === 'deactivated'
  return (
    <Layout title="Settings" me={me} csrf={csrf}>
      <h1>Settings</h1>
      {notice ? (
        <p class="notice" data-field="notice" role="status">
          {notice}
        </p>
      ) : null}
      {problem ? (
        <p class="problem" data-field="problem" role="alert">
          {problem}
        </p>
      ) : null}

      <section class="card" aria-labelledby="password">
        <h2 id="password">Password</h2>
        <p class="muted">
          {hasPassword
            ? 'Your account has a password: clients that need one (and the sign-in page) accept it with your handle or email.'
            : 'Your account has no password. Set one if a client needs it; you can keep signing in the way you do now.'}
        </p>
        <form class="stack" method="post" action={pagePath('/account/password')} data-form="password">
          <CsrfField token={csrf} />
          <input type="text" name="username" autocomplete="username" value={me.account.handle} hidden readonly />
          {hasPassword ? (
            <label>
              Current password
              <input type="password" name="current" autocomplete="current-password" required />
            </label>
          ) : null}
          <label>
            New password (at least {MIN_PASSWORD_LENGTH} characters)
            <input type="password" name="password" autocomplete="new-password" minlength={MIN_PASSWORD_LENGTH} required />
          </label>
          <label>
            New password again
            <input type="password" name="confirm" autocomplete="new-password" minlength={MIN_PASSWORD_LENGTH} required />
          </label>
          <div>
            <button type="submit">{hasPassword ? 'Change password' : 'Set password'}</button>
          </div>
        </form>
      </section>

      <section class="card" aria-labelledby="sign-ins">
        <h2 id="sign-ins">Ways to sign in</h2>
        {linked.length === 0 ? <p class="muted">No GitHub or Google sign-in: this account signs in with its password.</p> : null}
        <ul class="plain">
          {linked.map((l) => (
            <li data-linked={l.provider} class="actions">
              <span>
                {providerLabels[l.provider] ?? l.provider}: <strong>{l.username}</strong> <span class="muted">since {l.createdAt.slice(0, 10)}</span>
              </span>
              {canUnlink ? (
                <form class="inline" method="post" action={pagePath('/account/sign-ins/unlink')}>
                  <CsrfField token={csrf} />
                  <input type="hidden" name="provider" value={l.provider} />
                  <button class="danger" type="submit" data-unlink={l.provider}>
                    Unlink {providerLabels[l.provider] ?? l.provider}
                  </button>
                </form>
              ) : null}
            </li>
          ))}
        </ul>
        {!canUnlink && linked.length === 1 ? (
          <p class="muted" data-field="last-way-in">
            This is your only way to sign in, so it cannot be unlinked. Link another provider or set a password first.
          </p>
        ) : null}
        {linkable.length > 0 ? (
          <div class="actions">
            {linkable.map((p) => (
              <form class="inline" method="post" action={pagePath(`/auth/${p.id}/link`)}>
                <CsrfField token={csrf} />
                <input type="hidden" name="next" value={pagePath('/account/settings')} />
                <button class="quiet" type="submit" data-link={p.id}>
                  Link {p.label}
                </button>
              </form>
            ))}
          </div>
        ) : null}
      </section>

      <section class="card" aria-labelledby="download">
        <h2 id="download">Download your data</h2>
        <ul class="plain">
          <li>
            <a href={pagePath('/account/export/repo.car')} data-export="car" download>
              Public repository (CAR file)
            </a>{' '}
            <span class="muted">— every record and commit, signed; any AT Protocol tool reads it.</span>
          </li>
          <li>
            <a href={pagePath('/account/export/scopes.zip')} data-export="scopes" download>
              Scopes (ZIP of JSON files)
            </a>{' '}
            <span class="muted">— your private data, one file per scope.</span>
          </li>
        </ul>
      </section>

      <section class="card" aria-labelledby="status">
        <h2 id="status">{deactivated ? 'Your account is deactivated' : 'Deactivate'}</h2>
        <p class="muted">
          {deactivated
            ? 'Relays and apps have been told your account is inactive, and your repository is not served. Reactivate to bring it back as it was.'
            : 'Deactivating hides your account from the network (your repository is not served, relays hear it is inactive) without deleting anything. You can reactivate here at any time.'}
        </p>
        <form class="inline" method="post" action={pagePath(deactivated ? '/account/reactivate' : '/account/deactivate')}>
          <CsrfField token={csrf} />
          <button class={deactivated ? '' : 'danger'} type="submit" data-status-action={deactivated ? 'reactivate' : 'deactivate'}>
            {deactivated ? 'Reactivate my account' : 'Deactivate my account'}
          </button>
        </form>
      </section>

      <section class="card" aria-labelledby="delete">
        <h2 id="delete">Delete your account</h2>
        <p class="muted">Removes your account, repository, scopes and files from this server, for good.</p>
        <p>
          <a href={pagePath('/account/delete')} data-field="delete-link">
            Delete my account…
          </a>
        </p>
      </section>
    </Layout>
  )
}

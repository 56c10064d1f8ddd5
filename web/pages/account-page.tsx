/**
 * The account page: who the person is on the network (handle, DID, DID
 * document, this server), what their repository holds, and how they sign in.
 */
import type { FC } from 'hono/jsx'
import type { SignedIn } from '../../src/auth/web-session.js'
import type { LinkedIdentity } from '../../src/account/linked-identities.js'
import { CsrfField, Layout } from '../layout.js'
import { plural } from '../plural.js'
import { pagePath } from '../branding.js'

export interface AccountPageProps {
  me: SignedIn
  csrf: string
  publicUrl: string
  didDoc: unknown
  collections: { collection: string; count: number }[]
  linked: LinkedIdentity[]
  /** Configured providers the account has no sign-in with yet. */
  linkable: { id: string; label: string }[]
  providerLabels: Record<string, string>
}

export const AccountPage: FC<AccountPageProps> = ({ me, csrf, publicUrl, didDoc, collections, linked, linkable, providerLabels }) => (
  <Layout title="Your account" me={me} csrf={csrf}>
    <h1>Your account</h1>
    {me.account.status !== 'active' ? <p class="problem">This account is {me.account.status}.</p> : null}
    <section class="card">
      <h2>Identity</h2>
      <dl class="facts">
        <dt>Handle</dt>
        <dd data-field="handle">{me.account.handle}</dd>
        <dt>DID</dt>
        <dd>
          <code data-field="did">{me.account.did}</code>
        </dd>
        <dt>Server</dt>
        <dd data-field="server">{publicUrl}</dd>
      </dl>
    </section>
    <section class="card">
      <h2>Public repository</h2>
      {collections.length === 0 ? (
        <p class="muted" data-field="no-records">
          No records yet. Apps you sign in to with an app password write here.
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Collection</th>
              <th class="num">Records</th>
            </tr>
          </thead>
          <tbody>
            {collections.map((c) => (
              <tr data-collection={c.collection}>
                <td data-label="Collection">
                  <a href={pagePath(`/account/data/${c.collection}`)}>
                    <code>{c.collection}</code>
                  </a>
                </td>
                <td class="num" data-label="Records" data-count={String(c.count)}>
                  {plural(c.count, 'record')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p>
        <a href={pagePath('/account/data')}>Browse your data</a> · <a href={pagePath('/account/activity')}>Activity</a>
      </p>
    </section>
    <section class="card">
      <h2>Sign-ins</h2>
      {linked.length === 0 ? (
        <p class="muted">This account signs in with its password only.</p>
      ) : (
        <ul class="plain">
          {linked.map((l) => (
            <li data-linked={l.provider}>
              {providerLabels[l.provider] ?? l.provider}: <strong>{l.username}</strong> <span class="muted">since {l.createdAt.slice(0, 10)}</span>
            </li>
          ))}
        </ul>
      )}
      <p>
        <a href={pagePath('/account/settings')}>Password, sign-ins, downloads and deleting your account</a>
      </p>
      {linkable.length > 0 ? (
        <p class="actions">
          {linkable.map((p) => (
            <form class="inline" method="post" action={pagePath(`/auth/${p.id}/link`)}>
              <CsrfField token={csrf} />
              <button class="quiet" type="submit" data-link={p.id}>
                Link {p.label}
              </button>{' '}
            </form>
          ))}
        </p>
      ) : null}
    </section>
    <section class="card">
      <h2>DID document</h2>
      {didDoc ? <pre data-field="did-document">{JSON.stringify(didDoc, null, 2)}</pre> : <p class="problem">The PLC directory could not be reached just now.</p>}
    </section>
  </Layout>
)

/**
 * Changing the handle: a name under this server's domain, or a domain the
 * person owns (published by DNS TXT or /.well-known/atproto-did first).
 */
import type { FC } from 'hono/jsx'
import type { SignedIn } from '../../src/auth/web-session.js'
import { CsrfField, Layout } from '../layout.js'
import { pagePath } from '../branding.js'

export interface HandlePageProps {
  me: SignedIn
  csrf: string
  domains: string[]
  requested?: string
  problem?: string
  changed?: boolean
}

export const HandlePage: FC<HandlePageProps> = ({ me, csrf, domains, requested, problem, changed }) => (
  <Layout title="Change handle" me={me} csrf={csrf}>
    <h1>Change handle</h1>
    {changed ? <p class="notice">Your handle is now {me.account.handle}.</p> : null}
    {problem ? <p class="problem">{problem}</p> : null}
    <section class="card">
      <p>
        Your handle is <strong data-field="handle">{me.account.handle}</strong>. A new one can be a name under {domains.join(' or ')}{' '}
        (3 to 18 letters, digits or hyphens), or a domain of your own that already points at your DID.
      </p>
      <form class="stack" method="post" action={pagePath('/account/handle')}>
        <CsrfField token={csrf} />
        <label>
          New handle
          <input type="text" name="handle" required value={requested ?? ''} placeholder={`name${domains[0]}`} />
        </label>
        <div>
          <button type="submit">Change handle</button>
        </div>
      </form>
    </section>
  </Layout>
)

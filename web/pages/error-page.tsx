/**
 * The page for a sign-in that did not finish (cancelled, failed, expired…)
 * and for refused forms: what happened, in plain words, and the way back.
 */
import type { FC } from 'hono/jsx'
import type { SignedIn } from '../../src/auth/web-session.js'
import { Layout } from '../layout.js'
import { pagePath } from '../branding.js'

export interface ErrorPageProps {
  title: string
  message: string
  /** Stable name of what went wrong (SignInFailure kinds, 'csrf', 'failed'). */
  kind: string
  me?: SignedIn | null
  csrf?: string
}

export const ErrorPage: FC<ErrorPageProps> = ({ title, message, kind, me, csrf }) => (
  <Layout title={title} me={me} csrf={csrf}>
    <section class="card" data-error={kind}>
      <h1>{title}</h1>
      <p class="problem">{message}</p>
      <p>
        {me ? (
          <a class="button" href={pagePath('/account')}>
            Back to your account
          </a>
        ) : (
          <a class="button" href={pagePath('/sign-in')}>
            Back to sign-in
          </a>
        )}
      </p>
    </section>
  </Layout>
)

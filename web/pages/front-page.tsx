/**
 * The front door at `/`: what this server is (the operator's name and
 * description), the way in, and for app developers the addresses that
 * matter.
 */
import type { FC } from 'hono/jsx'
import type { SignedIn } from '../../src/auth/web-session.js'
import { Layout } from '../layout.js'
import { useBranding, pagePath } from '../branding.js'

export interface FrontPageProps {
  me: SignedIn | null
  csrf?: string
  publicUrl: string
  developerDocsUrl?: string
  registration: 'open' | 'invite' | 'closed'
}

const Intro: FC = () => {
  const { name, description } = useBranding()
  return (
    <>
      <h1 data-field="server-name">{name}</h1>
      <p class="lead" data-field="server-description">
        {description || 'A personal data server for the AT Protocol: your identity, your posts and your private data, kept here and shared on your terms.'}
      </p>
    </>
  )
}

export const FrontPage: FC<FrontPageProps> = ({ me, csrf, publicUrl, developerDocsUrl, registration }) => {
  const firehose = `${publicUrl.replace(/^http/, 'ws')}/xrpc/com.atproto.sync.subscribeRepos`
  return (
    <Layout title={'Welcome'} me={me} csrf={csrf}>
      <div class="front">
        <Intro />
        <section class="card" aria-labelledby="way-in">
          <h2 id="way-in">{me ? `Signed in as ${me.account.handle}` : 'Your account'}</h2>
          {me ? (
            <p>
              <a class="button" href={pagePath('/account')}>
                Go to your account
              </a>
            </p>
          ) : (
            <>
              <p>
                <a class="button" href={pagePath('/sign-in')} data-field="sign-in">
                  Sign in
                </a>
              </p>
              <p class="muted">
                {registration === 'closed'
                  ? 'New accounts are not being made here just now; existing accounts sign in as usual.'
                  : 'The first sign-in with GitHub or Google makes your account: an identity (DID), a handle and your repository.'}
              </p>
            </>
          )}
        </section>
        <section class="card" aria-labelledby="for-developers">
          <h2 id="for-developers">For app developers</h2>
          <ul class="plain">
            <li>
              Server description: <a href={pagePath('/xrpc/com.atproto.server.describeServer')} data-link="describe-server">com.atproto.server.describeServer</a>
            </li>
            <li>
              Firehose (WebSocket): <code data-link="firehose">{firehose}</code>
            </li>
            <li>
              XRPC base: <code>{`${publicUrl}/xrpc/`}</code>
            </li>
            {developerDocsUrl ? (
              <li>
                <a href={developerDocsUrl} data-link="developer-docs">
                  Notes for app developers
                </a>{' '}
                (scopes, grants, the scoped firehose)
              </li>
            ) : null}
          </ul>
        </section>
      </div>
    </Layout>
  )
}

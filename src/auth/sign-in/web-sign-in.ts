/**
 * Builds what the web pages need for signing in, once per app: the
 * configured providers, the state store, the flow, linked identities and
 * web sessions, all over the server's one database.
 */
import type { AppContext } from '../../context.js'
import { LinkedIdentities } from '../../account/linked-identities.js'
import { WebSessionStore } from '../web-session-store.js'
import { WebSessions } from '../web-session.js'
import { OAuthStateStore } from './oauth-state-store.js'
import { configuredProviders } from './providers.js'
import { SignInFlow } from './sign-in-flow.js'
import { PagePaths } from '../../page-paths.js'

export interface WebSignIn {
  flow: SignInFlow
  sessions: WebSessions
  sessionStore: WebSessionStore
  linked: LinkedIdentities
  /** Where the pages live (HEARTH_PAGES_PREFIX / createPds pages.prefix): every redirect goes through it. */
  paths: PagePaths
}

export function createWebSignIn(ctx: AppContext): WebSignIn {
  const { db, config, accounts, accountService, logger } = ctx
  const linked = new LinkedIdentities({ db, config, accounts, accountService, logger })
  const sessionStore = new WebSessionStore(db, config.webSessionTtlSec)
  const flow = new SignInFlow({
    providers: configuredProviders(config),
    states: new OAuthStateStore(db, config.signInStateTtlSec),
    linked,
    accounts,
    logger,
  })
  return { flow, linked, sessionStore, paths: new PagePaths(config.pagesPrefix), sessions: new WebSessions(sessionStore, accounts, config, ctx.secrets.jwtSecret) }
}

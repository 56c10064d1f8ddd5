/**
 * Who is signed in, for the host's own routes. `session()` reads Hearth's
 * web-session cookie (the one GitHub, Google or password sign-in sets) and
 * puts `{ did, handle }` or null on `c.var.hearth`; the host never parses a
 * Hearth cookie. `signInUrl(back)` sends a visitor through sign-in and back
 * to the host's page; `requireSignIn()` does that for whoever is not signed in.
 *
 * @example
 * const host = new Hono<{ Variables: PdsVariables }>()
 * host.use('/notes/*', pds.session())
 * host.get('/notes', (c) => c.var.hearth ? c.text(c.var.hearth.did) : c.redirect(pds.signInUrl('/notes')))
 */
import type { Context, MiddlewareHandler } from 'hono'
import type { AppContext } from '../context.js'
import { WebSessions } from '../auth/web-session.js'
import { WebSessionStore } from '../auth/web-session-store.js'
import { RETURN_TO_PARAM, safeReturnPath } from '../auth/sign-in/return-to.js'
import { PagePaths } from '../page-paths.js'

export interface SignedInAccount {
  did: string
  handle: string
}

/** The variable `session()` sets, for `new Hono<{ Variables: PdsVariables }>()`. */
export type PdsVariables = { hearth: SignedInAccount | null }

export interface SignInUrlOptions {
  /** Go straight to this provider instead of Hearth's sign-in page. */
  provider?: 'github' | 'google'
}

export interface HostSession {
  session(): MiddlewareHandler<{ Variables: PdsVariables }>
  signedIn(c: Context): SignedInAccount | null
  signInUrl(returnTo: string, opts?: SignInUrlOptions): string
  requireSignIn(opts?: SignInUrlOptions): MiddlewareHandler<{ Variables: PdsVariables }>
}

export function createHostSession(ctx: AppContext): HostSession {
  const sessions = new WebSessions(new WebSessionStore(ctx.db, ctx.config.webSessionTtlSec), ctx.accounts, ctx.config, ctx.secrets.jwtSecret)
  const signedIn = (c: Context): SignedInAccount | null => {
    const me = sessions.current(c)
    return me ? { did: me.account.did, handle: me.account.handle } : null
  }
  const paths = new PagePaths(ctx.config.pagesPrefix)
  const signInUrl = (returnTo: string, opts: SignInUrlOptions = {}) => {
    const back = safeReturnPath(returnTo)
    if (!back) throw new TypeError(`signInUrl: returnTo must be a path on this site ("/notes"), got ${JSON.stringify(returnTo)}`)
    // Under the pages' prefix (pages.prefix), as every page of Hearth is.
    const base = paths.to(opts.provider ? `/auth/${opts.provider}` : '/sign-in')
    return `${base}?${RETURN_TO_PARAM}=${encodeURIComponent(back)}`
  }
  return {
    signedIn,
    signInUrl,
    session: () => async (c, next) => {
      c.set('hearth', signedIn(c))
      await next()
    },
    requireSignIn: (opts) => async (c, next) => {
      const me = signedIn(c)
      if (!me) {
        const url = new URL(c.req.url)
        return c.redirect(signInUrl(url.pathname + url.search, opts), 302)
      }
      c.set('hearth', me)
      await next()
    },
  }
}

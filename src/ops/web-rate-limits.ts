/**
 * Budgets for everything outside `/xrpc` (the web pages, sign-in, well-known
 * routes), per client address: each sign-in start writes a state row and a
 * redirect, so an address may start at most HEARTH_RATE_WEB_SIGNINS_PER_IP
 * of them per 5 minutes, and make HEARTH_RATE_WEB_REQUESTS_PER_IP requests
 * of any other kind; the OAuth endpoints have their own budget
 * (src/ops/oauth-rate-limits.ts). A refused request gets 429 `RateLimitExceeded` with the
 * ratelimit-* headers, like XRPC.
 *
 * @example
 * app.use('*', webRateLimits(ctx))
 */
import type { MiddlewareHandler } from 'hono'
import type { AppContext } from '../context.js'
import { clientAddress } from './client-address.js'
import { RateLimitedError, type Charge } from './rate-limits.js'
import { isOAuthEndpoint, oauthRateLimited } from './oauth-rate-limits.js'
import { PagePaths } from '../page-paths.js'

/** Page paths (below the pages' prefix) whose request starts a sign-in (and so stores something). */
function startsSignIn(method: string, path: string | null): boolean {
  if (path === null) return false
  if (method === 'GET') return /^\/auth\/[^/]+\/?$/.test(path)
  // Starting or resuming a move signs in to the old server with a password.
  if (method === 'POST') return path === '/sign-in/password' || /^\/auth\/[^/]+\/link\/?$/.test(path) || /^\/account\/move\/in(\/[^/]+\/resume)?\/?$/.test(path)
  return false
}

export function webRateLimits(ctx: AppContext): MiddlewareHandler {
  const limits = ctx.rateLimits
  const paths = new PagePaths(ctx.config.pagesPrefix)
  return async (c, next) => {
    const path = c.req.path
    if (!limits.enabled || path.startsWith('/xrpc/')) return next()
    const ip = clientAddress(c, ctx.config.trustProxy)
    if (ip === 'unknown') return next()
    // OAuth endpoints live at the root (/oauth/…), the pages under the prefix.
    const oauth = isOAuthEndpoint(c.req.method, path)
    const charges: Charge[] = [{ limiter: oauth ? limits.oauthPerIp : startsSignIn(c.req.method, paths.within(path)) ? limits.webSignInsPerIp : limits.webRequestsPerIp, key: ip }]
    try {
      limits.take(charges)
    } catch (err) {
      if (!(err instanceof RateLimitedError)) throw err
      ctx.metrics.rateLimited.inc({ limit: err.limitName })
      if (oauth) return oauthRateLimited(c, err)
      return c.json(err.toJSON(), 429, err.headers)
    }
    return next()
  }
}

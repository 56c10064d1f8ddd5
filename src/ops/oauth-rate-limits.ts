/**
 * The OAuth endpoints' own budget per client address (HEARTH_RATE_OAUTH_PER_IP
 * per 5 minutes): PAR and token requests each fetch client metadata, verify
 * signatures and write rows, so they are dearer than a page. A refused one
 * is answered the OAuth way, since OAuth clients read `error` and
 * `error_description` (RFC 6749 §5.2), with `Retry-After` (RFC 9110) and the
 * ratelimit-* headers.
 *
 * @example
 * if (isOAuthEndpoint('POST', '/oauth/token')) charges.push({ limiter: limits.oauthPerIp, key: ip })
 */
import type { Context } from 'hono'
import { rateLimitHeaders } from './rate-limit-headers.js'
import type { RateLimitedError } from './rate-limits.js'

const OAUTH_POSTS = new Set(['/oauth/par', '/oauth/token', '/oauth/revoke'])

/** The requests the OAuth budget counts (CORS preflights and metadata are not). */
export function isOAuthEndpoint(method: string, path: string): boolean {
  if (method === 'POST') return OAUTH_POSTS.has(path) || path === '/oauth/authorize'
  return method === 'GET' && path === '/oauth/authorize'
}

/** 429 in OAuth's error shape, saying when to come back. */
export function oauthRateLimited(c: Context, err: RateLimitedError): Response {
  const retryAfter = Math.max(1, Math.ceil((err.state.resetAt - Date.now()) / 1000))
  return c.json(
    { error: 'rate_limited', error_description: `Too many OAuth requests from this address: try again in ${retryAfter} seconds` },
    429,
    { ...rateLimitHeaders(err.state), 'Retry-After': String(retryAfter), 'cache-control': 'no-store', 'access-control-allow-origin': '*', 'access-control-expose-headers': 'Retry-After' },
  )
}

/**
 * A Hono request as the request-auth path sees it (src/auth/request-auth.ts).
 * The URL is rebuilt on the public URL, because that is what a client's
 * DPoP proof names as `htu`, whatever proxy sits in front.
 *
 * @example
 * await ctx.requestAuth.verify('access', requestFacts(c, ctx), nsid)
 */
import type { Context } from 'hono'
import type { AppContext } from '../context.js'
import type { RequestFacts } from './request-auth.js'

export function requestFacts(c: Context, ctx: AppContext): RequestFacts {
  const url = new URL(c.req.url)
  return {
    method: c.req.method,
    url: `${ctx.config.publicUrl}${url.pathname}${url.search}`,
    authorization: c.req.header('authorization'),
    dpop: c.req.header('dpop'),
  }
}

/**
 * A call forwarded for the signed-in account: where it goes, whether the
 * caller may make it there, and the call itself. Used by the catch-all for
 * methods Hearth does not serve (proxyFallback) and by the methods that
 * answer from a service but edit or replace its answer (read-after-write,
 * preferences sent to another AppView).
 *
 * @example
 * const upstream = await forwardCall(ctx, c, 'app.bsky.feed.getTimeline', auth)
 */
import type { Context } from 'hono'
import { isValidNsid } from '@atproto/syntax'
import type { LexXrpcProcedure, LexXrpcQuery } from '@atproto/lexicon'
import type { AppContext } from '../context.js'
import type { Credentials } from '../auth/request-auth.js'
import { assertMayCallService } from '../auth/service-call-permission.js'
import { requestFacts } from '../auth/request-facts.js'
import { HearthError } from '../errors/hearth-error.js'
import { isNeverProxied } from './method-classes.js'
import { METRICS_ROUTE } from '../observability/request-observer.js'
import type { ForwardOptions, UpstreamAnswer } from './service-proxy.js'

export async function forwardCall(ctx: AppContext, c: Context, nsid: string, auth: Credentials, opts: ForwardOptions = {}): Promise<UpstreamAnswer> {
  if (isNeverProxied(nsid)) throw new HearthError('internal', 'InternalServerError', `${nsid} must never be forwarded`)
  const target = await ctx.proxyTargets.resolve(nsid, c.req.header('atproto-proxy'))
  assertMayCallService(auth, { lxm: nsid, aud: target.aud })
  return ctx.serviceProxy.call(c.req.raw, nsid, target, auth.did, opts)
}

/**
 * The XRPC router's answer for a method it does not serve: forwarded to the
 * service the atproto-proxy header (or the namespace's default) names,
 * unless the method is one that never leaves the PDS.
 */
export function proxyFallback(ctx: AppContext) {
  return async (c: Context, nsid: string): Promise<Response> => {
    if (!isValidNsid(nsid)) throw new HearthError('not-found', 'MethodNotImplemented', `Method not implemented: ${nsid.slice(0, 200)}`)
    if (isNeverProxied(nsid)) {
      throw new HearthError('not-found', 'MethodNotImplemented', `Method not implemented: ${nsid} (account, identity and Hearth methods are never forwarded to another service)`)
    }
    const def = ctx.lexicons.getDef(nsid) as LexXrpcQuery | LexXrpcProcedure | { type?: string } | undefined
    // Any NSID may be forwarded: only those the lexicons know get a metrics label of their own.
    if (!def) (c as unknown as { set(key: string, value: string): void }).set(METRICS_ROUTE, 'xrpc_proxied')
    // A method no service takes stays a plain 404, a malformed header a 400, before the session is checked.
    if (ctx.proxyTargets.audFor(nsid, c.req.header('atproto-proxy')) === null) {
      throw new HearthError('not-found', 'MethodNotImplemented', `Method not implemented: ${nsid} (send an atproto-proxy header to have it forwarded to a service)`)
    }
    const method = c.req.method === 'HEAD' ? 'GET' : c.req.method
    if (method !== 'GET' && method !== 'POST') throw new HearthError('wrong-method', 'InvalidRequest', 'XRPC calls are GET (queries) or POST (procedures)')
    if (def?.type === 'query' && method !== 'GET') throw new HearthError('wrong-method', 'InvalidRequest', `${nsid} is a query: use HTTP GET`)
    if (def?.type === 'procedure' && method !== 'POST') throw new HearthError('wrong-method', 'InvalidRequest', `${nsid} is a procedure: use HTTP POST`)
    // Signed in first: resolving DID documents is not a service for strangers.
    const auth = await ctx.requestAuth.verify('access', requestFacts(c, ctx), nsid)
    const upstream = await forwardCall(ctx, c, nsid, auth!)
    return ctx.serviceProxy.toClient(upstream)
  }
}

/**
 * True when the request's atproto-proxy header names an AppView other than
 * the configured one: methods Hearth answers for its own AppView
 * (preferences) are then that AppView's to answer.
 */
export function proxiedElsewhere(ctx: AppContext, c: Context, nsid: string): boolean {
  const header = c.req.header('atproto-proxy')
  return header !== undefined && ctx.proxyTargets.audFor(nsid, header) !== ctx.proxyTargets.appViewAud
}

/**
 * Read-after-write for the AppView methods a person opens right after
 * writing (their profile, their feed, a thread, their timeline): the call is
 * forwarded as any other, and when the AppView's `atproto-repo-rev` says it
 * has not seen the account's newest commit, the account's own newer records
 * are merged into its answer (`munge`). Otherwise — and always for other
 * accounts' data — the answer streams through untouched.
 *
 * A merged answer is sent whole, as JSON, with `atproto-upstream-lag` (ms)
 * telling how far behind the AppView was.
 *
 * @example
 * handler: (call) => readAfterWrite(call, (answer, local, views) => ({ ...answer, feed: [...] }))
 */
import type { XrpcCall } from '../../xrpc/xrpc-router.js'
import { HearthError } from '../../errors/hearth-error.js'
import { forwardCall } from '../forward-call.js'
import { forwardedHeaders } from '../service-proxy.js'
import { localChangesSince, type LocalChanges } from './local-changes.js'
import { LocalViews } from './local-views.js'

type Json = Record<string, any>

export type Munge = (answer: Json, local: LocalChanges, views: LocalViews, call: XrpcCall) => Json | Promise<Json>

/** Largest AppView answer read whole for merging. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024

export async function readAfterWrite(call: XrpcCall, munge: Munge): Promise<unknown> {
  const { ctx, c, auth } = call
  const nsid = c.req.param('nsid')!
  const upstream = await forwardCall(ctx, c, nsid, auth!)
  const rev = upstream.headers.get('atproto-repo-rev')
  const local = rev ? localChangesSince(ctx, auth!.did, rev) : null
  if (!local) return ctx.serviceProxy.toClient(upstream)
  const answer = await ctx.serviceProxy.readJson(upstream, MAX_ANSWER_BYTES)
  if (answer === null || typeof answer !== 'object') {
    throw new HearthError('upstream-failed', 'UpstreamFailure', `The AppView's answer to ${nsid} was not JSON, or too large to merge with recent writes`)
  }
  const merged = await munge(answer as Json, local, viewsFor(call, local), call)
  return mergedAnswer(call, upstream.headers, merged, local)
}

/** Builds the local views from the account's newest profile record. */
export function viewsFor(call: XrpcCall, local: LocalChanges): LocalViews {
  return new LocalViews(call.ctx, call.auth!.did, (local.profile?.value as Json | undefined) ?? null)
}

/** Sets the headers a merged answer carries; the router sends (and, in tests, validates) the object. */
export function mergedAnswer(call: XrpcCall, upstreamHeaders: Headers | Record<string, string>, body: Json, local: LocalChanges): Json {
  const headers = upstreamHeaders instanceof Headers ? forwardedHeaders(upstreamHeaders) : new Headers(upstreamHeaders)
  for (const name of ['atproto-repo-rev', 'atproto-content-labelers', 'content-language']) {
    const value = headers.get(name)
    if (value !== null) call.c.header(name, value)
  }
  call.c.header('atproto-upstream-lag', String(local.lagMs))
  return body
}

/**
 * The lean read path: the hottest public reads (methods marked `lean`:
 * com.atproto.repo.getRecord and listRecords) answered from Node's own
 * request and response, before @hono/node-server builds a web Request, Hono
 * routes it through the public edge's middleware and the answer goes back
 * through a web Response. For a getRecord that machinery was about two
 * thirds of the server's JavaScript time; the read itself is a cache hit.
 *
 * What the public edge does to such a request is done here too, through the
 * same code: the request id (kept from `x-request-id` when it looks like
 * one), the metrics and log line (the observer's recorder), the CORS headers,
 * the parameters converted and checked against the lexicon (the router's
 * `readParams`), output validation when it is on. Body limits and rate
 * limits do not apply to a public GET. Anything else takes the full path:
 * another verb or method, credentials, DPoP (the answer carries a nonce),
 * `atproto-proxy`, a body, a URL or Host that @hono/node-server would
 * pass through a URL parser (which may re-encode it), and every error (the full path answers it in its own shape;
 * a lean handler changes nothing, so running it twice is harmless).
 *
 * @example
 * const lean = leanReads(ctx, methods)
 * serve({ fetch: app.fetch, port, createServer: leanFirst(() => lean) })   // src/ops/lean-first.ts
 */
import { getQueryParams } from 'hono/utils/url'
import type { AppContext } from '../context.js'
import { requestRecorder } from '../observability/request-observer.js'
import { nodeClientAddress } from '../ops/client-address.js'
import { PLAIN_HOST, PLAIN_URL, XRPC_PREFIX, writeJson } from './lean-answer.js'
import type { LeanListener } from '../ops/lean-first.js'
import { answerText, JsonText, readParams, routeMethods, type XrpcMethod } from './xrpc-router.js'

export type { LeanListener }

export function leanReads(ctx: AppContext, methods: XrpcMethod[]): LeanListener {
  const lean = methods.filter((m) => m.lean === true && m.auth === 'none')
  const routed = new Map([...routeMethods(ctx, lean)].filter(([, r]) => r.verb === 'GET'))
  const recorder = requestRecorder({ logger: ctx.logger, metrics: ctx.metrics, listener: 'public' })
  const trustProxy = ctx.config.trustProxy
  return (req, res) => {
    if (req.method !== 'GET') return false
    const url = req.url ?? ''
    if (!url.startsWith(XRPC_PREFIX)) return false
    const query = url.indexOf('?')
    const routedMethod = routed.get(url.slice(XRPC_PREFIX.length, query < 0 ? undefined : query))
    if (!routedMethod || !PLAIN_URL.test(url)) return false
    const h = req.headers
    if (h.host === undefined || !PLAIN_HOST.test(h.host)) return false
    if (h.authorization !== undefined || h.dpop !== undefined || h['atproto-proxy'] !== undefined) return false
    if (h['content-length'] !== undefined || h['transfer-encoding'] !== undefined) return false
    const started = process.hrtime.bigint()
    const { method, def, checkParams } = routedMethod
    let text: string
    try {
      // Hono's own query reader, so values decode exactly as `c.req.queries()` decodes them.
      const queries = query < 0 ? {} : (getQueryParams(url) as Record<string, string[]>)
      const out = method.handler({ params: readParams(queries, def, checkParams), input: undefined, auth: null, ctx, c: undefined as never })
      if (!(out instanceof JsonText)) return false
      text = answerText(ctx, routedMethod, out)!
    } catch {
      return false
    }
    const incoming = h['x-request-id']
    const requestId = recorder.requestId(typeof incoming === 'string' ? incoming : undefined)
    writeJson(res, 200, text, requestId)
    recorder.finish({
      requestId,
      method: 'GET',
      path: query < 0 ? url : url.slice(0, query),
      route: method.nsid,
      status: 200,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      ip: () => nodeClientAddress(req, trustProxy),
    })
    return true
  }
}


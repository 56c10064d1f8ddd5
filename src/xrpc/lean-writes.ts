/**
 * The lean write path: the repository writes (methods marked `leanWrite`:
 * createRecord, putRecord, deleteRecord, applyWrites) called with a session
 * token, answered from Node's own request and response instead of through
 * @hono/node-server's web Request and Response objects and the public
 * edge's middleware. Those came to ~0.3 ms of server CPU per createRecord,
 * about a tenth of it.
 *
 * Unlike a lean read, a write is answered here to the end once it is taken:
 * its body is read from the socket, so the full path could not read it
 * again. Everything the full path does to such a call is therefore done
 * here through the same code, not a copy: the request id and the metrics
 * and log line (the observer's recorder), the CORS headers, the write
 * budget (`chargeWrite`, with its headers on every answer), credentials,
 * input and OAuth permissions in the router's order (`runMethod`), output
 * validation when it is on, and every error in the router's shape
 * (`xrpcErrorAnswer`).
 *
 * It takes only a request that path would read the same way: POST to the
 * method's exact path (no query string), a plain Host, an Authorization
 * header, a declared Content-Length within the JSON limit (a larger or
 * chunked body is refused by the full path as it streams), a JSON content
 * type. It leaves to the full path anything with DPoP (the answer owes a
 * nonce), `atproto-proxy`, or `Expect`.
 *
 * @example
 * const lean = leanWrites(ctx, methods)
 * http.createServer((req, res) => lean(req, res) || honoListener(req, res))
 */
import type http from 'node:http'
import type { AppContext } from '../context.js'
import { requestRecorder } from '../observability/request-observer.js'
import { nodeClientAddress } from '../ops/client-address.js'
import type { LeanListener } from '../ops/lean-first.js'
import { chargeWrite, rateLimitHeaders, RateLimitedError, type LimitState } from '../ops/rate-limits.js'
import { PLAIN_HOST, XRPC_PREFIX, writeJson } from './lean-answer.js'
import { XrpcError } from './xrpc-error.js'
import { answerText, mediaType, readParams, routeMethods, runMethod, xrpcErrorAnswer, type RoutedMethod, type XrpcMethod } from './xrpc-router.js'

export function leanWrites(ctx: AppContext, methods: XrpcMethod[]): LeanListener {
  const lean = methods.filter((m) => m.leanWrite === true && !m.rawInput && m.auth !== 'none')
  const routed = new Map([...routeMethods(ctx, lean)].filter(([, r]) => r.def?.type === 'procedure' && r.def.input?.encoding === 'application/json'))
  const recorder = requestRecorder({ logger: ctx.logger, metrics: ctx.metrics, listener: 'public' })
  const limit = ctx.config.maxJsonBodyBytes
  return (req, res) => {
    if (req.method !== 'POST') return false
    const url = req.url ?? ''
    if (!url.startsWith(XRPC_PREFIX)) return false
    const routedMethod = routed.get(url.slice(XRPC_PREFIX.length))
    if (!routedMethod) return false
    const h = req.headers
    if (h.host === undefined || !PLAIN_HOST.test(h.host)) return false
    if (h.authorization === undefined || h.dpop !== undefined || h['atproto-proxy'] !== undefined || h.expect !== undefined) return false
    if (h['transfer-encoding'] !== undefined || !(Number(h['content-length']) <= limit)) return false
    if (mediaType(h['content-type']) !== 'application/json') return false
    answer(ctx, recorder, routedMethod, req, res).catch((err: unknown) => {
      // Only writing the answer itself can land here (a socket gone mid-write): nothing is left to tell the client.
      ctx.logger.error({ err, path: url }, 'the lean write path could not answer')
      res.destroy()
    })
    return true
  }
}

async function answer(
  ctx: AppContext,
  recorder: ReturnType<typeof requestRecorder>,
  routed: RoutedMethod,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const started = process.hrtime.bigint()
  const url = req.url!
  const nsid = routed.method.nsid
  const h = req.headers
  const incoming = h['x-request-id']
  const requestId = recorder.requestId(typeof incoming === 'string' ? incoming : undefined)
  const ip = () => nodeClientAddress(req, ctx.config.trustProxy)
  const body = readBody(req)
  body.catch(() => {})
  let status = 200
  let text = ''
  let headers: Record<string, string> | undefined
  let budget: LimitState | null = null
  try {
    try {
      budget = await chargeWrite(ctx, nsid, h.authorization, ip(), () => body)
    } catch (err) {
      if (err instanceof RateLimitedError) ctx.metrics.rateLimited.inc({ limit: err.limitName })
      throw err
    }
    const out = await runMethod(ctx, routed, {
      params: readParams({}, routed.def, routed.checkParams),
      facts: () => ({ method: 'POST', url: `${ctx.config.publicUrl}${url}`, authorization: h.authorization }),
      body: () => body,
      contentType: h['content-type'],
      proxyHeader: undefined,
      c: undefined as never,
    })
    const answered = answerText(ctx, routed, out)
    if (answered === null) throw new Error(`${nsid} answered no JSON: it cannot be on the lean write path`)
    text = answered
  } catch (err) {
    const refused = xrpcErrorAnswer(err, ctx, url)
    status = refused.status
    text = JSON.stringify(refused.body)
    headers = refused.headers
  }
  // The budget's state goes on every answer after it was spent, as the edge's middleware sets it.
  if (budget) headers = { ...headers, ...rateLimitHeaders(budget) }
  writeJson(res, status, text, requestId, headers)
  recorder.finish({ requestId, method: 'POST', path: url, route: nsid, status, seconds: Number(process.hrtime.bigint() - started) / 1e9, ip })
}

/** The whole body (its length was declared and is within the limit; Node's parser stops there). */
function readBody(req: http.IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)))
    req.once('error', reject)
    req.once('close', () => {
      if (!req.complete) reject(new XrpcError(400, 'InvalidRequest', 'The request body ended early'))
    })
  })
}

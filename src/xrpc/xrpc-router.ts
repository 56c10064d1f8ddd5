/**
 * The XRPC edge: `/xrpc/<nsid>` on a Hono app. For each call it finds the
 * method, checks the HTTP verb against the lexicon (query = GET, procedure =
 * POST), converts and validates the parameters and the JSON input against
 * the lexicon, checks the caller's credentials, runs the handler and shapes
 * every failure as `{ error, message }` with its status. Handlers get plain,
 * valid values and return a JSON-able object, a Response, or nothing.
 *
 * @example
 * app.route('/', xrpcRouter(ctx, [createRecord, getRecord]))
 */
import { Hono, type Context } from 'hono'
import { jsonToLex, type LexXrpcQuery, type LexXrpcProcedure } from '@atproto/lexicon'
import type { AuthMode, Credentials, RequestFacts } from '../auth/request-auth.js'
import { requestFacts } from '../auth/request-facts.js'
import { assertPermitted } from '../auth/method-permissions.js'
import type { AppContext } from '../context.js'
import { HearthError, XrpcError, xrpcErrorHeaders, xrpcStatus } from './xrpc-error.js'
import { readBodyOnce } from './request-body.js'
import { serverFault } from './server-faults.js'
import { compileParamsValidator, type ParamsValidator } from '../lexicon/params-validator.js'

export { readLimited } from './request-body.js'

export interface XrpcCall<P = any, I = any> {
  params: P
  input: I
  auth: Credentials | null
  ctx: AppContext
  c: Context
}

export interface XrpcMethod<P = any, I = any> {
  nsid: string
  auth: AuthMode
  /** Skip JSON parsing: the handler reads the raw body (uploadBlob). */
  rawInput?: boolean
  /**
   * May also be answered by the lean read path (src/xrpc/lean-reads.ts): a
   * public query whose handler is synchronous, reads only `params` and
   * `ctx`, changes nothing, and answers a JsonText.
   */
  lean?: boolean
  /**
   * May also be answered by the lean write path (src/xrpc/lean-writes.ts): a
   * procedure that takes JSON and answers JSON, whose handler reads only
   * `input`, `auth` and `ctx` (never `c`).
   */
  leanWrite?: boolean
  handler: (call: XrpcCall<P, I>) => unknown | Promise<unknown>
}

/**
 * A JSON answer a handler already has as text (a cached record): sent as
 * is, and still checked against the lexicon when output validation is on.
 */
export class JsonText {
  constructor(readonly text: string) {}
}

/** Wraps a handler so its types read well at the definition site. */
export function xrpcMethod<P = any, I = any>(m: XrpcMethod<P, I>): XrpcMethod<P, I> {
  return m
}

/** What the edge needs about a method, looked up once when the router is built. */
export interface RoutedMethod {
  method: XrpcMethod
  def: LexXrpcQuery | LexXrpcProcedure | undefined
  verb: 'GET' | 'POST'
  checkParams: ParamsValidator
}

export interface XrpcRouterOptions {
  /** Answers a method not in `methods` (service proxying); without it, 404 MethodNotImplemented. */
  fallback?: (c: Context, nsid: string) => Promise<Response>
}

/** Each method with its lexicon definition, verb and compiled parameter check, by NSID. */
export function routeMethods(ctx: AppContext, methods: XrpcMethod[]): Map<string, RoutedMethod> {
  const byNsid = new Map<string, RoutedMethod>()
  for (const method of methods) {
    const def = ctx.lexicons.getDef(method.nsid) as LexXrpcQuery | LexXrpcProcedure | undefined
    const checkParams = def ? compileParamsValidator(ctx.lexicons, method.nsid) : () => undefined
    byNsid.set(method.nsid, { method, def, verb: def?.type === 'procedure' ? 'POST' : 'GET', checkParams })
  }
  return byNsid
}

export function xrpcRouter(ctx: AppContext, methods: XrpcMethod[], opts: XrpcRouterOptions = {}): Hono {
  const byNsid = routeMethods(ctx, methods)
  const app = new Hono()
  app.all('/xrpc/:nsid', async (c) => {
    const res = await handle(c)
    // A DPoP client learns the nonce for its next proof from every answer (RFC 9449 §8.2).
    if (c.req.header('dpop') !== undefined) {
      try {
        res.headers.set('DPoP-Nonce', ctx.oauth.dpop.nonce())
      } catch {
        // immutable headers (a streamed body): the client gets a nonce on its next use_dpop_nonce
      }
    }
    return res
  })
  const handle = async (c: Context): Promise<Response> => {
    const nsid = c.req.param('nsid')!
    try {
      const routed = byNsid.get(nsid)
      if (!routed && opts.fallback) return await opts.fallback(c, nsid)
      if (!routed) throw new XrpcError(404, 'MethodNotImplemented', `Method not implemented: ${nsid}`)
      const { def, verb } = routed
      const httpMethod = c.req.method === 'HEAD' ? 'GET' : c.req.method
      if (httpMethod !== verb) {
        throw new XrpcError(405, 'InvalidRequest', `${nsid} is a ${def?.type ?? 'query'}: use HTTP ${verb}`)
      }
      const out = await runMethod(ctx, routed, {
        params: readParams(c.req.queries(), def, routed.checkParams),
        facts: () => requestFacts(c, ctx),
        // The rate limiter may have read it already (same limit): one read per request.
        body: () => readBodyOnce(c.req.raw, ctx.config.maxJsonBodyBytes),
        contentType: c.req.header('content-type'),
        proxyHeader: c.req.header('atproto-proxy'),
        c,
      })
      if (out instanceof Response) return out
      const text = answerText(ctx, routed, out)
      return text === null ? c.body(null, 200) : c.body(text, 200, JSON_HEADERS)
    } catch (err) {
      return xrpcErrorResponse(c, err, ctx)
    }
  }
  return app
}

const JSON_HEADERS = { 'content-type': 'application/json' }

/**
 * A handler's answer as the JSON text sent (null when it answered nothing),
 * checked against the lexicon when output validation is on. Every path that
 * answers a method (the route, the lean paths) sends it through here.
 */
export function answerText(ctx: AppContext, routed: RoutedMethod, out: unknown): string | null {
  if (out === undefined || out === null) return null
  const text = out instanceof JsonText ? out.text : JSON.stringify(out)
  if (ctx.config.validateOutput && (out instanceof JsonText || routed.def?.output?.encoding === 'application/json')) {
    assertValidOutput(ctx, routed.method.nsid, JSON.parse(text))
  }
  return text
}

export function assertValidOutput(ctx: AppContext, nsid: string, json: unknown): void {
  try {
    // Handlers answer in JSON form ({ $link }, blob objects); the lexicon checks typed values.
    ctx.lexicons.assertValidXrpcOutput(nsid, jsonToLex(json as never))
  } catch (err) {
    throw new Error(`${nsid} produced output its lexicon refuses: ${(err as Error).message}`)
  }
}

export function xrpcErrorResponse(c: Context, err: unknown, ctx: AppContext): Response {
  const answer = xrpcErrorAnswer(err, ctx, c.req.path)
  return c.json(answer.body, answer.status as never, answer.headers)
}

/** An error as the XRPC edge answers it, whatever carries the answer (Hono here, Node's response on the lean write path). */
export interface XrpcErrorAnswer {
  status: number
  body: { error: string; message: string }
  headers?: Record<string, string>
}

/** Known errors in their own status and shape; a full disk as its fault; anything else a logged 500. */
export function xrpcErrorAnswer(err: unknown, ctx: AppContext, path: string): XrpcErrorAnswer {
  if (err instanceof HearthError) return { status: xrpcStatus(err), body: err.toJSON(), headers: xrpcErrorHeaders(err) }
  const fault = serverFault(err)
  if (fault) {
    ctx.logger.error({ err, path }, 'storage full: a request was refused')
    return { status: fault.status, body: fault.toJSON() }
  }
  ctx.logger.error({ err, path }, 'unhandled error in XRPC method')
  return { status: 500, body: { error: 'InternalServerError', message: 'Internal Server Error' } }
}

/** Query strings arrive as text (`queries`: each name's values, decoded): turn each into the lexicon's type, then validate. */
export function readParams(query: Record<string, string[]>, def: LexXrpcQuery | LexXrpcProcedure | undefined, checkParams: ParamsValidator) {
  const props = def?.parameters?.properties ?? {}
  const out: Record<string, unknown> = {}
  for (const [name, prop] of Object.entries(props)) {
    const values = query[name] ?? []
    if (values.length === 0) continue
    if (prop.type === 'array') out[name] = values.map((v) => convertScalar(name, prop.items.type, v))
    else out[name] = convertScalar(name, prop.type, values[0])
  }
  if (!def) return out
  try {
    return checkParams(out) ?? out
  } catch (err) {
    throw new XrpcError(400, 'InvalidRequest', (err as Error).message)
  }
}

function convertScalar(name: string, type: string, raw: string): unknown {
  if (type === 'integer') {
    if (!/^-?\d+$/.test(raw)) throw new XrpcError(400, 'InvalidRequest', `Parameter ${name} must be an integer`)
    return Number(raw)
  }
  if (type === 'boolean') {
    if (raw === 'true') return true
    if (raw === 'false') return false
    throw new XrpcError(400, 'InvalidRequest', `Parameter ${name} must be true or false`)
  }
  return raw
}

/** A call as the router has read it, whichever listener carried it. */
export interface CallRequest {
  params: Record<string, unknown>
  /** Asked only for a method that takes credentials (building them parses the URL). */
  facts: () => RequestFacts
  /** The body's bytes under the JSON limit (413 past it); asked only for a procedure with JSON input. */
  body: () => Promise<Uint8Array>
  contentType: string | undefined
  proxyHeader: string | undefined
  c: Context
}

/**
 * A routed call from its credentials to its handler's answer, in this order
 * (which error wins): credentials, then input, then what an OAuth token may
 * do with that input, then the handler. The Hono route and the lean write
 * path both call it.
 */
export async function runMethod(ctx: AppContext, routed: RoutedMethod, call: CallRequest): Promise<unknown> {
  const { method, def, verb } = routed
  const { params } = call
  // A public method reads no credentials: skip building the request's facts (a URL parse) for nothing.
  const auth = method.auth === 'none' ? null : await ctx.requestAuth.verify(method.auth, call.facts(), method.nsid)
  const input = method.rawInput || verb === 'GET' ? undefined : parseInput(ctx, method.nsid, def, await call.body(), call.contentType)
  // What an OAuth token may do depends on the input (the collection written, the blob's type).
  if (auth?.kind === 'oauth') assertPermitted(ctx, method.nsid, auth, { params, input, contentType: call.contentType, proxyHeader: call.proxyHeader })
  return method.handler({ params, input, auth, ctx, c: call.c })
}

/** What the media type of a Content-Type header names, as the input checks compare it. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase()
}

/**
 * A procedure's body, read already, as its handler takes it: none when the
 * lexicon declares no input, the bytes for a non-JSON input, else parsed
 * JSON checked against the lexicon. Shared with the lean write path.
 */
export function parseInput(ctx: AppContext, nsid: string, def: LexXrpcProcedure | LexXrpcQuery | undefined, raw: Uint8Array, contentType: string | undefined) {
  const expects = def && 'input' in def ? def.input : undefined
  if (!expects) {
    if (raw.length > 0) throw new XrpcError(400, 'InvalidRequest', `${nsid} takes no input`)
    return undefined
  }
  if (expects.encoding !== 'application/json') return raw
  const type = mediaType(contentType)
  if (type !== 'application/json') {
    throw new XrpcError(400, 'InvalidRequest', `${nsid} takes application/json input (got ${type || 'no content type'})`)
  }
  let body: unknown
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw))
  } catch {
    throw new XrpcError(400, 'InvalidRequest', 'Request body is not valid JSON')
  }
  // An object schema takes an object: the lexicon validator lets an array through.
  if (expects.schema?.type === 'object' && (body === null || typeof body !== 'object' || Array.isArray(body))) {
    throw new XrpcError(400, 'InvalidRequest', `${nsid} takes a JSON object as input`)
  }
  try {
    return ctx.lexicons.assertValidXrpcInput(nsid, body)
  } catch (err) {
    throw new XrpcError(400, 'InvalidRequest', `Input: ${(err as Error).message}`)
  }
}

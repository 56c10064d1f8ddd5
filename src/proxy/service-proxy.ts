/**
 * Forwarding one XRPC call to another service, for one account: the call
 * goes out with an inter-service JWT minted for the account (`iss` the
 * account, `aud` the service's `did#id`, `lxm` the method, a minute to
 * live), the request body streamed as it arrives, and the answer streamed
 * back as it comes, never held whole. Status, content type and the headers
 * clients rely on are passed back; the client's language and labeler
 * choices are passed on; nothing else of the request (cookies, its own
 * Authorization) leaves.
 *
 * Failures are the service's, told as such: unreachable or a 500 → 502
 * `UpstreamFailure`; no answer within HEARTH_PROXY_TIMEOUT_MS → 504
 * `UpstreamTimeout`; other error statuses keep their status, in the
 * standard `{ error, message }` shape.
 *
 * Uses Node's fetch (undici): it decodes a compressed answer by itself, so
 * an answer is passed on decoded, without content-encoding.
 *
 * @example
 * const upstream = await proxy.call(c.req.raw, 'app.bsky.feed.getTimeline', target, did)
 * return proxy.toClient(upstream)
 */
import type { Logger } from '../logger.js'
import type { ServiceJwtIssuer } from '../auth/service-jwt-issuer.js'
import { ForwardedError, HearthError } from '../errors/hearth-error.js'
import type { ProxyTarget } from './proxy-targets.js'
import { readChunksWithin } from '../net/read-limited.js'

/** Request headers passed on to the service (besides the body's own). */
const REQUEST_HEADERS = ['accept-language', 'atproto-accept-labelers', 'x-bsky-topics']
/** Answer headers passed back to the client. */
const RESPONSE_HEADERS = ['content-type', 'content-language', 'atproto-repo-rev', 'atproto-content-labelers', 'retry-after', 'cache-control']
/** Most of an error answer read to find its `{ error, message }`. */
const ERROR_BODY_MAX = 64 * 1024

export interface ServiceProxyDeps {
  serviceJwts: ServiceJwtIssuer
  /** Wait for the answer's headers, and between two chunks of its body. */
  timeoutMs: number
  /** Largest request body forwarded (bytes). */
  maxBodyBytes: number
  logger: Logger
}

export interface ForwardOptions {
  /** The query string to send (with its '?'); default the request's own. */
  query?: string
  /** A body already read and parsed by the router, sent again as JSON (the request's stream is spent). */
  json?: unknown
}

/** An answer of the service with a 2xx/3xx status, its body not yet read. */
export interface UpstreamAnswer {
  status: number
  headers: Headers
  body: ReadableStream<Uint8Array> | null
  /** Stops the answer (the client went away, or it was read otherwise). */
  cancel(): void
}

export class ServiceProxy {
  constructor(private deps: ServiceProxyDeps) {}

  /**
   * Sends `req` (its method, query string and body) as a call of `nsid` at
   * `target` on behalf of `iss`. Throws a HearthError for a failure or an
   * error status.
   */
  async call(req: Request, nsid: string, target: ProxyTarget, iss: string, opts: ForwardOptions = {}): Promise<UpstreamAnswer> {
    const token = await this.deps.serviceJwts.issue({ iss, aud: target.aud, lxm: nsid })
    const headers = new Headers({ authorization: `Bearer ${token}`, 'accept-encoding': req.headers.get('accept-encoding') || 'identity' })
    for (const name of REQUEST_HEADERS) {
      const value = req.headers.get(name)
      if (value !== null) headers.set(name, value)
    }
    const hasBody = req.method === 'POST' && (opts.json !== undefined || req.body !== null)
    if (opts.json !== undefined) headers.set('content-type', 'application/json')
    else if (hasBody) {
      for (const name of ['content-type', 'content-encoding']) {
        const value = req.headers.get(name)
        if (value !== null) headers.set(name, value)
      }
    }
    const query = opts.query ?? new URL(req.url).search
    const url = `${target.url}/xrpc/${nsid}${query}`

    const abort = new AbortController()
    let timedOut = false
    const onClientGone = () => abort.abort(new Error('the client went away'))
    req.signal?.addEventListener('abort', onClientGone, { once: true })
    const timer = new IdleTimer(this.deps.timeoutMs, () => {
      timedOut = true
      abort.abort(new Error(`no answer from ${target.aud} for ${this.deps.timeoutMs} ms`))
    })
    let tooLarge = false
    const body = opts.json !== undefined
      ? new Blob([JSON.stringify(opts.json)]).stream()
      : hasBody
      ? req.body!.pipeThrough(
          byteLimit(this.deps.maxBodyBytes, () => {
            tooLarge = true
          }),
        )
      : undefined
    let res: Response
    try {
      res = await fetch(url, {
        method: req.method,
        headers,
        body,
        redirect: 'manual',
        signal: abort.signal,
        // Required by fetch for a streamed request body.
        ...(body ? { duplex: 'half' } : {}),
      } as RequestInit)
    } catch (err) {
      timer.stop()
      req.signal?.removeEventListener('abort', onClientGone)
      if (tooLarge) throw new HearthError('too-large', 'PayloadTooLarge', `Request body is larger than ${this.deps.maxBodyBytes} bytes`)
      if (timedOut) throw new HearthError('upstream-timeout', 'UpstreamTimeout', `${target.aud} did not answer ${nsid} within ${this.deps.timeoutMs} ms`)
      this.deps.logger.warn({ err, aud: target.aud, nsid }, 'proxied call failed')
      throw new HearthError('upstream-failed', 'UpstreamFailure', `Could not reach ${target.aud} for ${nsid}: ${describeFetchError(err)}`)
    }
    const finish = () => {
      timer.stop()
      req.signal?.removeEventListener('abort', onClientGone)
    }
    // XRPC services answer, they do not redirect: a 3xx is a failure too (and is never followed).
    if (res.status >= 300 || res.status < 200) {
      try {
        throw await upstreamError(res, target, nsid, timer)
      } finally {
        finish()
        abort.abort()
      }
    }
    timer.touch()
    const streamed = res.body?.pipeThrough(idleWatch(timer, finish)) ?? null
    if (!streamed) finish()
    return { status: res.status, headers: res.headers, body: streamed, cancel: () => abort.abort() }
  }

  /** The answer as the client gets it: status, the passed-back headers, the body streamed. */
  toClient(upstream: UpstreamAnswer): Response {
    return new Response(upstream.body, { status: upstream.status, headers: forwardedHeaders(upstream.headers) })
  }

  /** Reads a JSON answer whole (for read-after-write, which edits it); null when it is not JSON. */
  async readJson(upstream: UpstreamAnswer, maxBytes: number): Promise<unknown | null> {
    if (!isJson(upstream.headers.get('content-type'))) return null
    const text = await readText(upstream.body, maxBytes)
    if (text === null) {
      upstream.cancel()
      return null
    }
    try {
      return JSON.parse(text)
    } catch {
      return null
    }
  }
}

/** The response headers passed back to the client (content-length only when the body is passed on as it came). */
export function forwardedHeaders(from: Headers): Headers {
  const out = new Headers()
  for (const name of RESPONSE_HEADERS) {
    const value = from.get(name)
    if (value !== null) out.set(name, value)
  }
  const length = from.get('content-length')
  if (length !== null && !from.get('content-encoding')) out.set('content-length', length)
  return out
}

const isJson = (type: string | null) => !!type && /^application\/(?:[\w.+-]+\+)?json\b/i.test(type)

async function upstreamError(res: Response, target: ProxyTarget, nsid: string, timer: IdleTimer): Promise<HearthError> {
  let parsed: { error?: unknown; message?: unknown } = {}
  if (isJson(res.headers.get('content-type'))) {
    timer.touch()
    const text = await readText(res.body, ERROR_BODY_MAX).catch(() => null)
    try {
      parsed = text ? JSON.parse(text) : {}
    } catch {
      parsed = {}
    }
  }
  const error = typeof parsed.error === 'string' ? parsed.error.slice(0, 100) : undefined
  const message = typeof parsed.message === 'string' ? parsed.message.slice(0, 1000) : undefined
  const headers = Object.fromEntries(forwardedHeaders(res.headers))
  delete headers['content-type']
  delete headers['content-length']
  if (res.status === 500 || res.status < 400) {
    // A crash or a redirect: the service failed, the client did nothing wrong.
    return new HearthError('upstream-failed', 'UpstreamFailure', `${target.aud} failed on ${nsid} (HTTP ${res.status})${message ? `: ${message}` : ''}`, headers)
  }
  return new ForwardedError(res.status, error ?? errorNameFor(res.status), message ?? `${target.aud} answered ${nsid} with HTTP ${res.status}`, headers)
}

/** The standard error name of a status, for an error answer that names none. */
function errorNameFor(status: number): string {
  const names: Record<number, string> = { 401: 'AuthenticationRequired', 403: 'Forbidden', 404: 'NotFound', 413: 'PayloadTooLarge', 429: 'RateLimitExceeded' }
  return Object.hasOwn(names, status) ? names[status] : status >= 500 ? 'UpstreamFailure' : 'InvalidRequest'
}

async function readText(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<string | null> {
  if (!body) return ''
  const reader = body.getReader()
  const bytes = await readChunksWithin(reader, maxBytes)
  if (!bytes) {
    await reader.cancel().catch(() => {})
    return null
  }
  return new TextDecoder().decode(bytes)
}

/** Counts bytes passing through; past `limit`, calls `onExceeded` and fails the stream. */
function byteLimit(limit: number, onExceeded: () => void): TransformStream<Uint8Array, Uint8Array> {
  let size = 0
  return new TransformStream({
    transform(chunk, controller) {
      size += chunk.length
      if (size > limit) {
        onExceeded()
        controller.error(new Error('request body too large'))
        return
      }
      controller.enqueue(chunk)
    },
  })
}

/** Restarts the idle timer on every chunk of the answer; `done` when it ends either way. */
function idleWatch(timer: IdleTimer, done: () => void): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    transform(chunk, controller) {
      timer.touch()
      controller.enqueue(chunk)
    },
    flush() {
      done()
    },
    // Node 20's TransformStream has no cancel hook in every minor; a cancelled
    // body is covered by the abort of the whole call.
  })
}

class IdleTimer {
  private handle: NodeJS.Timeout | null
  constructor(
    private ms: number,
    private onIdle: () => void,
  ) {
    this.handle = setTimeout(onIdle, ms)
  }
  touch() {
    if (!this.handle) return
    this.handle.refresh()
  }
  stop() {
    if (this.handle) clearTimeout(this.handle)
    this.handle = null
  }
}

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause
  return (cause?.code ?? cause?.message ?? (err as Error)?.message ?? 'unknown error').slice(0, 200)
}

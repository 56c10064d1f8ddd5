/**
 * One middleware per listener that gives every request an id (echoed as
 * `x-request-id`, and `c.get('requestId')` for code that logs), one JSON log
 * line when it ends, and its count and latency in the metrics. The log line holds the
 * method, the path without its query string, status, time and client
 * address: never headers or bodies, where tokens and passwords travel.
 *
 * @example
 * app.use('*', requestObserver({ logger, metrics, listener: 'public', trustProxy: false }))
 */
import crypto from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'
import type { Logger } from '../logger.js'
import type { HearthMetrics } from './metrics.js'
import { clientAddress } from '../ops/client-address.js'

declare module 'hono' {
  interface ContextVariableMap {
    /** This request's id, also sent back as x-request-id. */
    requestId: string
  }
}

export interface RequestObserverOptions {
  logger: Logger
  metrics: HearthMetrics
  /** 'public' or 'control': which listener the line came from. */
  listener: string
  trustProxy: boolean
  /** Names the route for metrics; must return few distinct values. */
  routeOf?: (c: Context) => string
}

const SAFE_ID = /^[A-Za-z0-9._-]{8,64}$/

/** The end of one request, as the log line and the metrics take it. */
export interface FinishedRequest {
  requestId: string
  method: string
  /** The path without its query string. */
  path: string
  route: string
  status: number
  seconds: number
  /** The client's address; asked only when a line is written. */
  ip: () => string
}

/**
 * The part of the observer that does not depend on Hono: request ids, the
 * metrics and the log line. The middleware below and the lean read path
 * (src/xrpc/lean-reads.ts) both record through it, so a request is counted
 * and logged the same whichever path answered it.
 */
export interface RequestRecorder {
  /** The id for a request: the caller's own when it looks like one, else a new one. */
  requestId(incoming: string | undefined): string
  finish(r: FinishedRequest): void
}

export function requestRecorder(opts: Omit<RequestObserverOptions, 'routeOf' | 'trustProxy'>): RequestRecorder {
  // prom-client hashes a labels object on every call; its bound children do
  // not. Label values are few (routeOf promises it), so the maps stay small.
  const counters = new Map<string, { inc(): void }>()
  const timers = new Map<string, { observe(v: number): void }>()
  const count = (method: string, route: string, status: string) => {
    const key = `${method} ${route} ${status}`
    let child = counters.get(key)
    if (!child) counters.set(key, (child = opts.metrics.httpRequests.labels(method, route, status)))
    child.inc()
  }
  const time = (method: string, route: string, seconds: number) => {
    const key = `${method} ${route}`
    let child = timers.get(key)
    if (!child) timers.set(key, (child = opts.metrics.httpDuration.labels(method, route)))
    child.observe(seconds)
  }
  return {
    // A proxy's id is kept when it looks like one, so lines can be joined across hops.
    requestId: (incoming) => (incoming && SAFE_ID.test(incoming) ? incoming : crypto.randomUUID()),
    finish(r) {
      count(r.method, r.route, String(r.status))
      time(r.method, r.route, r.seconds)
      // Built only when it will be written: most benchmarks and busy servers run above info.
      if (r.status >= 500 || opts.logger.isLevelEnabled('info')) {
        const line = {
          reqId: r.requestId,
          listener: opts.listener,
          method: r.method,
          path: r.path,
          status: r.status,
          ms: Math.round(r.seconds * 1e4) / 10,
          ...(opts.listener === 'public' ? { ip: r.ip() } : {}),
        }
        if (r.status >= 500) opts.logger.error(line, 'request failed')
        else opts.logger.info(line, 'request')
      }
    },
  }
}

export function requestObserver(opts: RequestObserverOptions): MiddlewareHandler {
  const routeOf = opts.routeOf ?? defaultRouteOf
  const recorder = requestRecorder(opts)
  return async (c, next) => {
    const started = process.hrtime.bigint()
    const requestId = recorder.requestId(c.req.header('x-request-id'))
    c.set('requestId', requestId)
    // Set before the response exists: adding it to a finished response makes
    // @hono/node-server rebuild that response as a full web Response and
    // stream it, which cost more than the rest of a getRecord.
    c.header('x-request-id', requestId)
    let failed: unknown
    try {
      await next()
    } catch (err) {
      failed = err
      throw err
    } finally {
      recorder.finish({
        requestId,
        method: c.req.method,
        path: c.req.path,
        route: routeOf(c),
        status: failed ? 500 : c.res.status,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
        ip: () => clientAddress(c, opts.trustProxy),
      })
    }
  }
}

/** Context key under which a handler may set the metrics route label of its request. */
export const METRICS_ROUTE = 'metricsRoute'

/** Few distinct values: the NSID for XRPC calls Hearth knows, else the first path segment of a found route. */
function defaultRouteOf(c: Context): string {
  // A handler may name its route itself (the proxy: NSIDs no lexicon knows are one label, not one each).
  const named = (c as unknown as { get(key: string): unknown }).get(METRICS_ROUTE)
  if (typeof named === 'string') return named
  const path = c.req.path
  if (c.res.status === 404) return 'not_found'
  if (path.startsWith('/xrpc/')) {
    const nsid = path.slice(6)
    return /^[a-zA-Z][a-zA-Z0-9.-]{0,250}$/.test(nsid) && c.res.status !== 404 ? nsid : 'xrpc_other'
  }
  const first = path.split('/')[1] ?? ''
  return first ? `/${first.slice(0, 40)}` : '/'
}

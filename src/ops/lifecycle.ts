/**
 * Start-up and shutdown of the standalone server (src/main.ts).
 *
 * Start-up: the port listens at once; `/xrpc/_health` answers 503 until the
 * database is open and 200 from then on, while the rest of start-up (the
 * embedded PLC, lexicons) finishes; other requests arriving meanwhile are
 * held and served once Hearth is built.
 *
 * Shutdown (SIGTERM/SIGINT): stop accepting (the listener closes; a request
 * that still arrives on a kept-alive connection gets 503 and the connection
 * closes), wait for the requests in flight to be answered, then
 * `pds.close()` (control socket, WebSockets with a close frame, writes in
 * flight, SQLite), then exit 0. Past the time limit it exits 1.
 *
 * @example
 * const gate = startupGate()
 * const server = serve({ fetch: gate.fetch, port })
 * const requests = trackRequests(server)
 * const pds = await createPds(config, { onDatabaseOpen: gate.databaseOpen })
 * gate.ready(pds.app.fetch)
 */
import type { Server } from 'node:http'

type Fetch = (req: Request, env?: unknown) => Response | Promise<Response>

export interface StartupGate {
  /** The listener's fetch handler, whatever stage start-up is at. */
  fetch: Fetch
  databaseOpen(): void
  ready(fetch: Fetch): void
  /** From now on every request gets 503 ShuttingDown. */
  stop(): void
  /** True between ready() and stop(): the only stage in which requests reach the app. */
  isReady(): boolean
}

const VERSION = '0.1.0'

export function startupGate(): StartupGate {
  type Stage = 'starting' | 'database-open' | 'ready' | 'stopping'
  let stage = 'starting' as Stage
  let appFetch: Fetch | null = null
  let becameReady!: () => void
  const readyOrStopping = new Promise<void>((resolve) => (becameReady = resolve))
  const unavailable = (error: string, message: string) =>
    Response.json({ error, message }, { status: 503, headers: { 'retry-after': '1' } })
  return {
    async fetch(req, env) {
      if (stage === 'ready') return appFetch!(req, env)
      if (stage === 'stopping') return unavailable('ShuttingDown', 'Hearth is shutting down')
      if (new URL(req.url).pathname === '/xrpc/_health') {
        return stage === 'database-open' ? Response.json({ version: VERSION }) : unavailable('NotReady', 'Hearth is starting')
      }
      // Held, not refused: a client that saw the health check pass is served as soon as start-up ends.
      await readyOrStopping
      if ((stage as Stage) !== 'ready') return unavailable('ShuttingDown', 'Hearth is shutting down')
      return appFetch!(req, env)
    },
    databaseOpen() {
      if (stage === 'starting') stage = 'database-open'
    },
    ready(fetch) {
      appFetch = fetch
      if (stage !== 'stopping') stage = 'ready'
      becameReady()
    },
    stop() {
      stage = 'stopping'
      becameReady()
    },
    isReady: () => stage === 'ready',
  }
}

export interface RequestTracker {
  /** Requests not yet answered. */
  count(): number
  /** Resolves when every request has been answered; responses sent from now on close their connection. */
  drain(): Promise<void>
}

export function trackRequests(server: Server): RequestTracker {
  const open = new Set<import('node:http').ServerResponse>()
  // Event streams (the activity page: EventSource asks with this Accept header) never finish by themselves.
  const streams = new WeakSet<import('node:http').ServerResponse>()
  let draining = false
  let onIdle: (() => void) | null = null
  server.on('request', (req, res) => {
    open.add(res)
    if (String(req.headers.accept ?? '').includes('text/event-stream')) streams.add(res)
    if (draining) res.shouldKeepAlive = false
    res.once('close', () => {
      open.delete(res)
      if (open.size === 0) onIdle?.()
    })
  })
  return {
    count: () => open.size,
    async drain() {
      draining = true
      for (const res of open) {
        if (!res.headersSent) res.shouldKeepAlive = false
        // End an event stream; the browser reconnects later, to this server's successor.
        if (streams.has(res)) res.end()
      }
      if (open.size > 0) await new Promise<void>((resolve) => (onIdle = resolve))
    },
  }
}

export interface ShutdownDeps {
  server: Server
  gate: StartupGate
  requests: RequestTracker
  /** Closes Hearth itself (createPds().close()); may be a promise still starting. */
  closePds: () => Promise<void>
  timeoutMs: number
  log: (msg: string, extra?: object) => void
  exit: (code: number) => void
}

/** Runs the shutdown sequence once; later calls return the same promise. */
export function shutdownOnce(deps: ShutdownDeps): () => Promise<void> {
  let running: Promise<void> | null = null
  return () => {
    running ??= (async () => {
      const started = Date.now()
      const timer = setTimeout(() => {
        deps.log('shutdown took too long: exiting anyway', { timeoutMs: deps.timeoutMs, requestsOpen: deps.requests.count() })
        deps.exit(1)
      }, deps.timeoutMs)
      timer.unref()
      deps.gate.stop()
      deps.server.close()
      deps.server.closeIdleConnections()
      await deps.requests.drain()
      deps.server.closeIdleConnections()
      await deps.closePds()
      deps.server.closeAllConnections()
      clearTimeout(timer)
      deps.log('stopped', { ms: Date.now() - started })
      deps.exit(0)
    })()
    return running
  }
}

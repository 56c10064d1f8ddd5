/**
 * The WebSocket edge of the public firehose,
 * `/xrpc/com.atproto.sync.subscribeRepos`: takes upgrades from the Node
 * server (standalone or the host's), checks the `cursor` parameter, hands
 * the socket to the fan-out, keeps it alive with pings, and closes every
 * socket with 1001 on shutdown.
 *
 * @example
 * const sockets = firehoseSocketServer({ fanout, pingIntervalMs: 30_000, logger })
 * nodeServer.on('upgrade', (req, socket, head) => sockets.upgrade(req, socket, head) || socket.destroy())
 * await sockets.close()
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Logger } from '../logger.js'
import { encodeErrorFrame } from './event-log.js'
import { CloseCode, type FirehoseFanout, type FrameSink, type SubscribeOptions } from './firehose-fanout.js'

export const SUBSCRIBE_REPOS_PATH = '/xrpc/com.atproto.sync.subscribeRepos'

export interface FirehoseSocketServer {
  /** Takes the upgrade when the path is the firehose's; false leaves the socket to the caller. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean
  /** Closes every firehose socket (1001) and waits, briefly, for them to go. */
  close(): Promise<void>
}

export interface FirehoseSocketOptions {
  fanout: FirehoseFanout
  pingIntervalMs: number
  logger: Logger
  /** How long close() waits for clients to answer the close frame before cutting the TCP connection. */
  closeGraceMs?: number
  /** Other streams served the same way from the same log (the scoped firehose). */
  streams?: StreamRoute[]
}

/**
 * A stream beside subscribeRepos: its own path, same frames, cursor rules
 * and slow-consumer handling; `subscribeOptions` decides (once the socket
 * is open) what this subscriber gets, or refuses it by throwing an error
 * with `error` and `message`, sent as an error frame before the close.
 */
export interface StreamRoute {
  path: string
  subscribeOptions(req: IncomingMessage, params: URLSearchParams): Promise<Omit<SubscribeOptions, 'cursor'>>
}

export function firehoseSocketServer(opts: FirehoseSocketOptions): FirehoseSocketServer {
  const { fanout, logger } = opts
  // Frames are DAG-CBOR with CIDs and signatures: compression buys little and costs CPU on every send.
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 })
  const awaitingPong = new WeakSet<WebSocket>()
  let closing = false

  const pinger = setInterval(() => {
    for (const ws of wss.clients) {
      if (awaitingPong.has(ws)) {
        ws.terminate()
        continue
      }
      awaitingPong.add(ws)
      ws.ping()
    }
  }, opts.pingIntervalMs)
  pinger.unref()

  function onConnection(ws: WebSocket, socket: Duplex, params: URLSearchParams, req: IncomingMessage, route?: StreamRoute): void {
    ws.on('error', (err) => logger.debug({ err }, 'firehose socket error'))
    ws.on('pong', () => awaitingPong.delete(ws))
    // Subscribers have nothing to say; anything they send is ignored.
    const cursor = parseCursor(params)
    if (cursor instanceof Error) {
      ws.send(encodeErrorFrame('InvalidRequest', cursor.message))
      ws.close(CloseCode.Policy, 'InvalidRequest')
      return
    }
    if (!route) {
      const subscription = fanout.subscribe(wsSink(ws, socket), { cursor })
      ws.once('close', () => subscription.end())
      return
    }
    route.subscribeOptions(req, params).then(
      (opts) => {
        if (ws.readyState !== ws.OPEN) return
        const subscription = fanout.subscribe(wsSink(ws, socket), { ...opts, cursor })
        ws.once('close', () => subscription.end())
      },
      (err: { error?: string; message?: string }) => {
        if (ws.readyState !== ws.OPEN) return
        const error = typeof err?.error === 'string' ? err.error : 'InternalServerError'
        if (error === 'InternalServerError') logger.error({ err }, 'stream subscription failed')
        ws.send(encodeErrorFrame(error, error === 'InternalServerError' ? undefined : err.message))
        ws.close(CloseCode.Policy, error.slice(0, 100))
      },
    )
  }

  return {
    upgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://localhost')
      const route = opts.streams?.find((r) => r.path === url.pathname)
      if (url.pathname !== SUBSCRIBE_REPOS_PATH && !route) return false
      if (closing) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
        return true
      }
      wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, socket, url.searchParams, req, route))
      return true
    },
    async close() {
      if (closing) return
      closing = true
      clearInterval(pinger)
      fanout.stop()
      const open = [...wss.clients]
      for (const ws of open) ws.close(CloseCode.GoingAway, 'server shutting down')
      await Promise.all(open.map((ws) => closedWithin(ws, opts.closeGraceMs ?? 2000)))
      await new Promise<void>((resolve) => wss.close(() => resolve()))
    },
  }
}

/**
 * `cursor` is optional; when given it must be one non-negative whole number.
 * An empty value counts as absent: @atproto/sync's Firehose sends `cursor=`
 * when it has none, and XRPC servers read empty parameters as missing.
 */
function parseCursor(params: URLSearchParams): number | undefined | Error {
  const all = params.getAll('cursor').filter((v) => v !== '')
  if (all.length === 0) return undefined
  if (all.length > 1) return new Error('Give cursor at most once')
  if (!/^\d{1,15}$/.test(all[0])) return new Error(`cursor must be a non-negative integer, got "${all[0].slice(0, 40)}"`)
  return Number(all[0])
}

function wsSink(ws: WebSocket, socket: Duplex): FrameSink {
  return {
    send: (frame) => ws.send(frame),
    get bufferedAmount() {
      return ws.bufferedAmount
    },
    waitForDrain: () =>
      new Promise<void>((resolve) => {
        if (ws.readyState !== ws.OPEN || ws.bufferedAmount === 0) return resolve()
        const done = () => {
          clearTimeout(timer)
          socket.off('drain', done)
          ws.off('close', done)
          resolve()
        }
        // 'drain' only comes after a write that found the buffer full; the timer covers the rest.
        const timer = setTimeout(done, 1000)
        socket.on('drain', done)
        ws.on('close', done)
      }),
    close: (code, reason) => ws.close(code, reason),
  }
}

function closedWithin(ws: WebSocket, ms: number): Promise<void> {
  if (ws.readyState === ws.CLOSED) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      ws.terminate()
      resolve()
    }, ms)
    ws.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

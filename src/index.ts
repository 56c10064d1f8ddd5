/**
 * Hearth's one public face.
 *
 * @example
 * // Mounted in a host's Hono server:
 * const pds = await createPds(loadConfig(process.env))
 * host.route('/', pds.app)
 * nodeServer.on('upgrade', (req, socket, head) => pds.upgrade(req, socket, head))
 * // …and on shutdown:
 * await pds.close()
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Hono } from 'hono'
import type { Config } from './config.js'
import { createContext, type AppContext, type ContextHooks } from './context.js'
import { buildApp } from './app.js'
import { buildControlApp } from './control/control-app.js'
import { startControlSocket, type ControlSocket } from './control/control-socket.js'
import { startSequencerTasks } from './sequencer/sequencer-tasks.js'

export { loadConfig, type Config } from './config.js'
export type { AppContext } from './context.js'

export interface Pds {
  /** The Hono app serving XRPC, well-known routes and the web pages. */
  app: Hono
  /**
   * Hands a WebSocket upgrade (from the host's Node server 'upgrade' event) to
   * Hearth. Returns false when the path is not one of Hearth's sockets, so
   * the host can handle it itself.
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean
  /** Finishes writes in flight, closes sockets, the database and the embedded PLC. */
  close(): Promise<void>
  ctx: AppContext
  /** Path of the control socket (admin, ingest, metrics), or null when it is off. */
  controlSocket: string | null
}

export type CreatePdsOptions = ContextHooks

export async function createPds(config: Config, opts: CreatePdsOptions = {}): Promise<Pds> {
  const ctx = await createContext(config, opts)
  const { app, upgrade, closeSockets } = buildApp(ctx)
  const sequencerTasks = startSequencerTasks(ctx)
  ctx.blobCollector.start(config.blobCollectIntervalSec * 1000)
  let control: ControlSocket | null = null
  if (!config.controlSocket) {
    ctx.logger.warn('control socket is off (HEARTH_CONTROL_SOCKET=off, or the default path in the data folder is too long for a Unix socket)')
  } else {
    try {
      const requestCrawl = () => {
        sequencerTasks.crawlRequester.requestNow()
        return config.crawlers
      }
      control = await startControlSocket(buildControlApp(ctx, { requestCrawl }), config.controlSocket)
    } catch (err) {
      await sequencerTasks.stop()
      await ctx.blobCollector.stop()
      ctx.blobStore.close()
      await ctx.walCheckpointer.stop()
      ctx.db.close()
      await ctx.embeddedPlc?.close()
      throw err
    }
  }
  let closed = false
  return {
    app,
    upgrade,
    ctx,
    controlSocket: control?.path ?? null,
    async close() {
      if (closed) return
      closed = true
      await control?.close()
      await closeSockets()
      ctx.activity.close()
      await sequencerTasks.stop()
      await ctx.blobCollector.stop()
      await ctx.repoLock.drain()
      ctx.blobStore.close()
      ctx.metrics.close()
      await ctx.walCheckpointer.stop()
      ctx.db.close()
      await ctx.embeddedPlc?.close()
    },
  }
}

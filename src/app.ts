/**
 * The Hono app: XRPC methods, well-known routes, health, and the catch-all
 * that keeps every unknown path in the standard error shape.
 */
import { Hono } from 'hono'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { AppContext } from './context.js'
import { xrpcRouter } from './xrpc/xrpc-router.js'
import { leanReads, type LeanListener } from './xrpc/lean-reads.js'
import { leanWrites } from './xrpc/lean-writes.js'
import { cutMessage, serverFault } from './xrpc/server-faults.js'
import { serverMethods } from './xrpc/com/atproto/server/index.js'
import { repoMethods } from './xrpc/com/atproto/repo/index.js'
import { syncMethods } from './xrpc/com/atproto/sync/index.js'
import { identityMethods } from './xrpc/com/atproto/identity/index.js'
import { hearthMethods } from './xrpc/dev/hearth/index.js'
import { actorMethods } from './xrpc/app/bsky/actor/index.js'
import { feedMethods } from './xrpc/app/bsky/feed/index.js'
import { proxyFallback } from './proxy/forward-call.js'
import { scopeStreamRoute } from './scope/scope-stream.js'
import { wellKnownRoutes } from './identity/well-known-routes.js'
import { webRoutes } from '../web/routes.js'
import type { PageBranding } from './embed/page-options.js'
import { oauthRoutes } from './oauth/oauth-routes.js'
import { installPublicEdge } from './ops/public-edge.js'
import { firehoseSocketServer, SUBSCRIBE_REPOS_PATH } from './sequencer/firehose-socket.js'

export interface BuiltApp {
  app: Hono
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean
  /** The lean paths (src/xrpc/lean-reads.ts, lean-writes.ts): answers and returns true, or returns false. */
  lean: LeanListener
  closeSockets(): Promise<void>
}

export function buildApp(ctx: AppContext, opts: { branding?: PageBranding } = {}): BuiltApp {
  const app = new Hono()
  // First, so logs, metrics, CORS and limits wrap every route below.
  installPublicEdge(app, ctx)
  app.get('/xrpc/_health', (c) => c.json({ version: '0.1.0' }))
  app.route('/', wellKnownRoutes(ctx))
  app.route('/', oauthRoutes(ctx))
  app.route('/', webRoutes(ctx, opts.branding))
  // Reached only by a plain GET: the WebSocket upgrade goes through `upgrade` below.
  app.get(SUBSCRIBE_REPOS_PATH, (c) =>
    c.json({ error: 'InvalidRequest', message: 'subscribeRepos is a WebSocket: connect with Upgrade: websocket' }, 426),
  )
  const methods = [...serverMethods, ...repoMethods, ...syncMethods, ...identityMethods, ...hearthMethods, ...actorMethods, ...feedMethods]
  app.route('/', xrpcRouter(ctx, methods, { fallback: proxyFallback(ctx) }))
  // The web page's moves send their standard calls to this app, in-process.
  ctx.moves.moveIns.serveThrough((req) => app.fetch(req))
  app.notFound((c) => c.json({ error: 'NotFound', message: cutMessage(`Nothing at ${c.req.path}`) }, 404))
  app.onError((err, c) => {
    const fault = serverFault(err)
    if (fault) return c.json(fault.toJSON(), fault.status as never)
    ctx.logger.error({ err, path: c.req.path }, 'unhandled error')
    return c.json({ error: 'InternalServerError', message: 'Internal Server Error' }, 500)
  })
  const firehoseSockets = firehoseSocketServer({
    fanout: ctx.firehose,
    pingIntervalMs: ctx.config.firehosePingSec * 1000,
    logger: ctx.logger,
    streams: [scopeStreamRoute(ctx)],
  })
  return {
    app,
    upgrade: (req, socket, head) => firehoseSockets.upgrade(req, socket, head),
    lean: bothLean(leanReads(ctx, methods), leanWrites(ctx, methods)),
    closeSockets: () => firehoseSockets.close(),
  }
}

/** Reads are offered first: they are the more frequent, and each path turns the other's requests away at their verb. */
function bothLean(reads: LeanListener, writes: LeanListener): LeanListener {
  return (req, res) => reads(req, res) || writes(req, res)
}

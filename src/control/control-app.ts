/**
 * The control app: a Hono app of its own, served only on the control socket
 * (never mounted on the public app, so no Host header, forwarded address or
 * path trick on the public port can reach it). Holding the socket (file mode
 * 0600) is the credential: whoever can open it is the operator.
 *
 * `GET /` lists every route with a description, so an operator (or the CLI's
 * `routes` command) can see what it offers.
 *
 * @example
 * const app = buildControlApp(ctx, { requestCrawl: () => crawler.requestNow() })
 */
import { Hono, type MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { AppContext } from '../context.js'
import { HearthError } from '../errors/hearth-error.js'
import { controlErrorHeaders, controlStatus } from './control-status.js'
import { requestObserver } from '../observability/request-observer.js'
import type { ControlRoute } from './control-route.js'
import { accountRoutes } from './routes/accounts.js'
import { inviteRoutes } from './routes/invites.js'
import { ingestRoutes } from './routes/ingest.js'
import { blobRoutes } from './routes/blobs.js'
import { scopeRoutes } from './routes/scopes.js'
import { operationRoutes, type OperationHooks } from './routes/operations.js'

export type ControlHooks = OperationHooks

const DEFAULT_BODY_BYTES = 64 * 1024

/** Every control route, in the order `GET /` lists them. */
export function controlRoutes(hooks: ControlHooks = {}): ControlRoute[] {
  return [...accountRoutes, ...inviteRoutes, ...ingestRoutes, ...scopeRoutes, ...blobRoutes, ...operationRoutes(hooks)]
}

export function buildControlApp(ctx: AppContext, hooks: ControlHooks = {}): Hono {
  const routes = controlRoutes(hooks)
  const app = new Hono()
  app.use('*', requestObserver({ logger: ctx.logger, metrics: ctx.metrics, listener: 'control', trustProxy: false, routeOf: () => 'control' }))
  app.get('/', (c) =>
    c.json({
      service: 'hearth-control',
      routes: [
        { method: 'GET', path: '/', description: 'This list' },
        ...routes.map(({ method, path, description }) => ({ method, path, description })),
      ],
    }),
  )
  for (const route of routes) {
    const handlers: MiddlewareHandler[] = []
    const max = route.maxBodyBytes ?? DEFAULT_BODY_BYTES
    if (Number.isFinite(max)) handlers.push(bodyLimit({ maxSize: max, onError: (c) => c.json(tooLarge(max), 413) }))
    const run: MiddlewareHandler = async (c) => route.handler(c, ctx)
    app.on([route.method], [route.path], ...handlers, run)
  }
  app.notFound((c) => c.json({ error: 'NotFound', message: `No control route ${c.req.method} ${c.req.path}: GET / lists them` }, 404))
  app.onError((err, c) => {
    if (err instanceof HearthError) return c.json(err.toJSON(), controlStatus(err) as never, controlErrorHeaders(err))
    ctx.logger.error({ err, path: c.req.path }, 'control route failed')
    return c.json({ error: 'InternalServerError', message: (err as Error).message }, 500)
  })
  return app
}

const tooLarge = (max: number) => ({ error: 'PayloadTooLarge', message: `Request body is larger than ${max} bytes` })

/**
 * What the public listener does around every route: request ids, logs and
 * metrics; CORS on XRPC (browser clients call a PDS from any origin, with
 * bearer tokens, never cookies); body limits; rate limits; and `/metrics`
 * only when HEARTH_METRICS_PUBLIC=true. Installed first in buildApp so it
 * wraps every route. Control routes are not here, and never are: they live
 * on the control socket's own app.
 *
 * @example
 * const app = new Hono()
 * installPublicEdge(app, ctx)
 */
import type { Hono } from 'hono'
import type { AppContext } from '../context.js'
import { requestObserver } from '../observability/request-observer.js'
import { routeBodyLimits } from './body-limits.js'
import { xrpcCors } from './xrpc-cors.js'
import { publicRateLimits } from './rate-limits.js'
import { webRateLimits } from './web-rate-limits.js'

export function installPublicEdge(app: Hono, ctx: AppContext): void {
  app.use('*', requestObserver({ logger: ctx.logger, metrics: ctx.metrics, listener: 'public', trustProxy: ctx.config.trustProxy }))
  app.use('/xrpc/*', xrpcCors())
  app.use('*', routeBodyLimits(ctx.config))
  app.use('/xrpc/*', publicRateLimits(ctx))
  app.use('*', webRateLimits(ctx))
  if (ctx.config.metricsPublic) {
    app.get('/metrics', async (c) => {
      const { body, contentType } = await ctx.metrics.text()
      return c.body(body, 200, { 'content-type': contentType })
    })
  }
}

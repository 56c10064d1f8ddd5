/**
 * Request body limits for the routes outside XRPC (the web pages' forms),
 * checked as the bytes arrive (Content-Length can be absent or wrong), so an
 * oversized body is refused before anything reads it whole. XRPC bodies are
 * limited where they are read: the router (HEARTH_MAX_JSON_BYTES), the blob
 * store (HEARTH_MAX_BLOB_BYTES), each dev.hearth.* method (scope ingest takes
 * far more than a record); all answer 413 in the XRPC error shape.
 *
 * @example
 * app.use('*', routeBodyLimits(config))
 */
import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { Config } from '../config.js'

export function routeBodyLimits(config: Pick<Config, 'maxJsonBodyBytes'>): MiddlewareHandler {
  const tooLarge = (limit: number) =>
    bodyLimit({
      maxSize: limit,
      onError: (c) => c.json({ error: 'PayloadTooLarge', message: `Request body is larger than ${limit} bytes` }, 413),
    })
  const json = tooLarge(config.maxJsonBodyBytes)
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS') return next()
    const path = c.req.path
    // XRPC bodies are limited by the router as it reads them (413 in the XRPC
    // shape): hono's bodyLimit would open the body as a web stream first,
    // which costs every write a full Request object.
    if (path.startsWith('/xrpc/')) return next()
    return json(c, next)
  }
}

/**
 * Request body limits by route, checked as the bytes arrive (Content-Length
 * can be absent or wrong), so an oversized body is refused before anything
 * reads it whole. XRPC answers 413 in its own error shape.
 *
 * - `com.atproto.repo.uploadBlob`, `com.atproto.repo.importRepo`: HEARTH_MAX_BLOB_BYTES;
 * - `dev.hearth.*`: left to each method, which knows its own size (scope
 *   ingest takes far more than a record);
 * - every other route: HEARTH_MAX_JSON_BYTES.
 *
 * @example
 * app.use('*', routeBodyLimits(config))
 */
import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { Config } from '../config.js'

export function routeBodyLimits(config: Pick<Config, 'maxJsonBodyBytes' | 'maxBlobBytes'>): MiddlewareHandler {
  const tooLarge = (limit: number) =>
    bodyLimit({
      maxSize: limit,
      onError: (c) => c.json({ error: 'PayloadTooLarge', message: `Request body is larger than ${limit} bytes` }, 413),
    })
  const json = tooLarge(config.maxJsonBodyBytes)
  const blob = tooLarge(config.maxBlobBytes)
  const byNsid: Record<string, MiddlewareHandler> = {
    'com.atproto.repo.uploadBlob': blob,
    'com.atproto.repo.importRepo': blob,
  }
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS') return next()
    const path = c.req.path
    if (path.startsWith('/xrpc/')) {
      const nsid = path.slice('/xrpc/'.length)
      if (nsid.startsWith('dev.hearth.')) return next()
      return (byNsid[nsid] ?? json)(c, next)
    }
    return json(c, next)
  }
}

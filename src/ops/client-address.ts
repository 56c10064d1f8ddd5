/**
 * The address a request came from, for per-IP limits and logs. Behind a
 * proxy (HEARTH_TRUST_PROXY=true) it is the last X-Forwarded-For entry, the
 * one the proxy itself appended; anything earlier in that header was written
 * by the client and proves nothing. Without a trusted proxy the header is
 * ignored, so a client cannot pick its own rate-limit key.
 */
import type { Context } from 'hono'
import type { IncomingMessage } from 'node:http'
import { getConnInfo } from '@hono/node-server/conninfo'

/** The proxy's own entry of X-Forwarded-For, when there is one. */
function forwardedBy(header: string | undefined): string | undefined {
  return header?.split(',').pop()?.trim() || undefined
}

export function clientAddress(c: Context, trustProxy: boolean): string {
  const forwarded = trustProxy ? forwardedBy(c.req.header('x-forwarded-for')) : undefined
  if (forwarded) return forwarded
  try {
    return getConnInfo(c).remote.address ?? 'unknown'
  } catch {
    // Mounted in a host that is not @hono/node-server: no socket to ask.
    return 'unknown'
  }
}

/** The same, for a request read straight from Node (src/xrpc/lean-reads.ts). */
export function nodeClientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const header = req.headers['x-forwarded-for']
  const forwarded = trustProxy ? forwardedBy(Array.isArray(header) ? header.join(',') : header) : undefined
  return forwarded ?? req.socket.remoteAddress ?? 'unknown'
}

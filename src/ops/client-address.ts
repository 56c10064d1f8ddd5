/**
 * The address a request came from, for per-IP limits and logs. Behind a
 * proxy (HEARTH_TRUST_PROXY=true) it is the last X-Forwarded-For entry, the
 * one the proxy itself appended; anything earlier in that header was written
 * by the client and proves nothing. Without a trusted proxy the header is
 * ignored, so a client cannot pick its own rate-limit key.
 */
import type { Context } from 'hono'
import { getConnInfo } from '@hono/node-server/conninfo'

export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')
    const last = forwarded?.split(',').pop()?.trim()
    if (last) return last
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown'
  } catch {
    // Mounted in a host that is not @hono/node-server: no socket to ask.
    return 'unknown'
  }
}

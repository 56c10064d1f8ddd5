/**
 * What the lean paths (src/xrpc/lean-reads.ts, lean-writes.ts) share: which
 * requests they may read straight from Node, and how they answer on Node's
 * own response with the headers the public edge would have added.
 *
 * @example
 * if (!PLAIN_HOST.test(req.headers.host ?? '')) return false
 * writeJson(res, 200, text, requestId)
 */
import type http from 'node:http'
import { XRPC_ANSWER_CORS } from '../ops/xrpc-cors.js'

export const XRPC_PREFIX = '/xrpc/'

/**
 * URLs and hosts @hono/node-server takes as they are (its own checks, with `%`
 * added and `#` left out: a URL parser keeps percent escapes as they are),
 * so `c.req.url` on the full path would hold this same URL and both paths
 * read the same values. Anything else goes the full path.
 */
export const PLAIN_URL = /^\/[!$%&-;=?-[\]_a-z~]*$/
export const PLAIN_HOST = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/

/**
 * The answer's headers go to writeHead as one flat list of names and values.
 * An object literal per answer (spreading the CORS headers in) was kept
 * alive long enough that V8 moved its allocation to the old generation:
 * over 100,000 getRecords the heap climbed to 148 MB before a full
 * collection, and peak RSS was 266 MiB against 197 MiB with this list.
 */
const CORS_PAIRS = Object.entries(XRPC_ANSWER_CORS).flat()

/** A JSON answer with the CORS headers and the request id, plus `extra` (rate-limit budget, an error's challenge). */
export function writeJson(res: http.ServerResponse, status: number, text: string, requestId: string, extra?: Record<string, string>): void {
  const headers = [...CORS_PAIRS, 'x-request-id', requestId, 'content-type', 'application/json', 'content-length', String(Buffer.byteLength(text))]
  if (extra) for (const name in extra) headers.push(name, extra[name])
  res.writeHead(status, headers)
  res.end(text)
}

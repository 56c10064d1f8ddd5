/**
 * A `createServer` for @hono/node-server's `serve` that offers each request
 * to a lean listener first (src/xrpc/lean-reads.ts, lean-writes.ts; `pds.lean`), and
 * hands it to the app's listener when that one does not take it. Here, not
 * beside the lean path, so `npm start` needs nothing from src/xrpc.
 *
 * @example
 * serve({ fetch: gate.fetch, port, createServer: leanFirst(() => pds?.lean ?? null) })
 */
import http from 'node:http'

/** Answers the request and returns true, or returns false without touching it. */
export type LeanListener = (req: http.IncomingMessage, res: http.ServerResponse) => boolean

/** `current()` is asked on every request: null (not ready, or stopping) sends everything to the app. */
export function leanFirst(current: () => LeanListener | null): typeof http.createServer {
  return ((opts: http.ServerOptions, listener: http.RequestListener) =>
    http.createServer(opts, (req, res) => {
      if (!current()?.(req, res)) void listener(req, res)
    })) as typeof http.createServer
}

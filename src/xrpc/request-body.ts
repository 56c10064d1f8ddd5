/**
 * An XRPC request body, read once per request under a byte limit and shared
 * by everything that needs it (the rate limiter prices batches by their
 * body; the router and the ingest method parse it). Reading a copy instead
 * (`req.clone()`) tees the stream: when one branch stops early the other
 * keeps buffering, so an oversized body was never answered and its memory
 * never given back.
 *
 * @example
 * const bytes = await readBodyOnce(c.req.raw, config.maxJsonBodyBytes)
 */
import { XrpcError } from './xrpc-error.js'
import { readChunksWithin } from '../net/read-limited.js'

const bodies = new WeakMap<Request, Promise<Uint8Array>>()

/** The body's bytes; 413 `PayloadTooLarge` as soon as it passes `limit` (declared or streamed). */
export function readBodyOnce(req: Request, limit: number): Promise<Uint8Array> {
  let read = bodies.get(req)
  if (!read) {
    read = readLimited(req, limit)
    // Swallow here so an unawaited rejection cannot surface; callers see it through `read`.
    read.catch(() => {})
    bodies.set(req, read)
  }
  return read.then((bytes) => {
    // Read once under a larger limit by an earlier reader: this reader's limit still holds.
    if (bytes.length > limit) throw tooLarge(limit)
    return bytes
  })
}

function tooLarge(limit: number): XrpcError {
  return new XrpcError(413, 'PayloadTooLarge', `Request body is larger than ${limit} bytes`)
}

/** Reads a body, stopping with 413 as soon as it passes `limit` (chunked bodies have no Content-Length to trust). */
export async function readLimited(req: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? NaN)
  if (declared > limit) {
    if (req.body) drainInBackground(req.body.getReader())
    throw tooLarge(limit)
  }
  if (declared >= 0 && declared <= limit) {
    // The length is declared and within the limit (the usual JSON call): read
    // it whole. On @hono/node-server this reads the socket directly, without
    // building a web Request and its stream (a tenth of a createRecord's
    // CPU, measured); Node's parser stops at the declared length. A body that
    // a host's own Request carries past its header is still refused.
    const bytes = new Uint8Array(await req.arrayBuffer())
    if (bytes.length > limit) throw tooLarge(limit)
    return bytes
  }
  if (!req.body) return new Uint8Array(0)
  const reader = req.body.getReader()
  const bytes = await readChunksWithin(reader, limit)
  if (!bytes) {
    drainInBackground(reader)
    throw tooLarge(limit)
  }
  return bytes
}

/** Most bytes of an oversized body read and thrown away so that the client gets its 413. */
const DRAIN_BYTES = 4 * 1024 * 1024

/**
 * Reads the rest of an oversized body and throws it away, up to DRAIN_BYTES,
 * then cancels. Cancelling at once resets the connection while the client is
 * still sending, and a reset can destroy the 413 before the client reads it.
 */
function drainInBackground(reader: ReadableStreamDefaultReader<Uint8Array>): void {
  let drained = 0
  const step = (): Promise<void> =>
    reader.read().then(({ done, value }) => {
      if (done) return
      drained += value.length
      if (drained > DRAIN_BYTES) return reader.cancel()
      return step()
    })
  step().catch(() => {})
}

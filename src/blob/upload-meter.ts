/**
 * Reads an upload body as a Node stream that hashes (sha-256), counts and
 * limits the bytes as they pass, and fails when the body stops moving.
 *
 * The body is pulled one chunk at a time, only when the store asks for more,
 * so a slow store slows the client (back-pressure) and memory stays bounded.
 * A web body is never cancelled: cancelling a request body destroys the
 * socket, and the client would get a reset instead of the 413/408 answer.
 * The server drains and closes the connection after answering.
 *
 * @example
 * const metered = meterUpload(req.body, { maxBytes: 1 << 20, idleTimeoutMs: 30_000 })
 * await pipeline(metered.stream, fs.createWriteStream(tmp))
 * const { cid, size } = metered.result()
 */
import crypto from 'node:crypto'
import { Readable } from 'node:stream'
import { createCid } from '@atproto/lex-data'
import { BlobBodyError, BlobTooLargeError, BlobUploadStalledError, type BlobBody, type UploadLimits } from './blob-store.js'

const RAW = 0x55
const SHA256 = 0x12

export interface MeteredUpload {
  stream: Readable
  /** CID and size of what went through; only once the stream has ended. */
  result(): { cid: string; size: number }
}

export function meterUpload(body: BlobBody, limits: UploadLimits): MeteredUpload {
  const hash = crypto.createHash('sha256')
  let size = 0
  let digest: Buffer | null = null
  const source = chunksOf(body)
  async function* metered() {
    try {
      while (true) {
        let next: IteratorResult<Uint8Array>
        try {
          next = await withIdleTimeout(source.next(), limits.idleTimeoutMs)
        } catch (err) {
          if (err instanceof BlobUploadStalledError) throw err
          throw new BlobBodyError(`The request body failed while being read: ${(err as Error).message ?? err}`)
        }
        if (next.done) break
        const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength)
        size += chunk.length
        if (size > limits.maxBytes) throw new BlobTooLargeError(`Blob is larger than ${limits.maxBytes} bytes`)
        hash.update(chunk)
        yield chunk
      }
      digest = hash.digest()
    } finally {
      source.release()
    }
  }
  return {
    stream: Readable.from(metered(), { objectMode: false }),
    result() {
      if (!digest) throw new Error('the upload has not finished')
      return { cid: createCid(RAW, SHA256, digest).toString(), size }
    },
  }
}

/** The CID Hearth gives bytes (raw codec, sha-256), for checks outside an upload. */
export function blobCid(bytes: Uint8Array): string {
  return createCid(RAW, SHA256, crypto.createHash('sha256').update(bytes).digest()).toString()
}

interface ChunkSource {
  next(): Promise<IteratorResult<Uint8Array>>
  release(): void
}

function chunksOf(body: BlobBody): ChunkSource {
  if (body instanceof Readable) {
    const it = body[Symbol.asyncIterator]()
    return { next: () => it.next(), release: () => void it.return?.() }
  }
  const reader = body.getReader()
  return {
    next: () => reader.read() as Promise<IteratorResult<Uint8Array>>,
    release() {
      try {
        reader.releaseLock()
      } catch {
        // A read still pending (after a stall) may refuse the release on older Node; the stream is dropped anyway.
      }
    },
  }
}

function withIdleTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  if (!ms) return p
  // The read may settle after we gave up on it: never let that be an unhandled rejection.
  p.catch(() => {})
  let timer: NodeJS.Timeout
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BlobUploadStalledError(`No bytes arrived for ${ms / 1000} s`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}

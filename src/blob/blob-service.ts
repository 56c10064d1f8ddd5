/**
 * Blobs as the routes see them: uploading (streamed to the store's
 * temporary area, then indexed), reading (whole or a byte range), moving
 * referenced uploads to their final key after a commit, and removing a
 * deleted account's objects. Routes call this; this calls the index and
 * the store.
 *
 * @example
 * const blob = await blobs.upload(did, c.req.raw.body, { mimeType: 'image/png', declaredLength: 1234 })
 * const read = await blobs.open(did, cid, c.req.header('range'))
 */
import type { Readable } from 'node:stream'
import type { Logger } from '../logger.js'
import type { BlobIndex, BlobRow } from './blob-index.js'
import type { BlobMetrics } from './blob-metrics.js'
import { parseRange } from './byte-range.js'
import {
  BlobBodyError,
  BlobTooLargeError,
  BlobUploadStalledError,
  type BlobBody,
  type BlobStore,
  type ByteRange,
} from './blob-store.js'

export class EmptyBlobError extends Error {}

export type OpenedBlob =
  | { kind: 'found'; row: BlobRow; stream: Readable; range: ByteRange | null }
  | { kind: 'unsatisfiable'; row: BlobRow }
  | { kind: 'missing' }

export class BlobService {
  constructor(
    private deps: {
      index: BlobIndex
      store: BlobStore
      logger: Logger
      metrics: BlobMetrics
      maxBytes: number
      idleTimeoutMs: number
      /** Every store namespace an account owns (its public blobs, its scope files); default: the DID alone. */
      accountNamespaces?: (did: string) => string[]
    },
  ) {}

  get store(): BlobStore {
    return this.deps.store
  }

  /**
   * Streams an upload into the store and indexes it. `declaredLength` (the
   * request's Content-Length) must match what arrives. Throws
   * BlobTooLargeError, BlobUploadStalledError, BlobBodyError, EmptyBlobError;
   * after any of them nothing is kept. `signal` is the request's: an upload
   * whose client is gone once it is stored is dropped.
   */
  async upload(
    did: string,
    body: BlobBody,
    opts: { mimeType: string; declaredLength?: number; signal?: AbortSignal },
  ): Promise<{ cid: string; size: number; mimeType: string }> {
    const { index, store, maxBytes, idleTimeoutMs, metrics } = this.deps
    try {
      if (opts.declaredLength !== undefined && opts.declaredLength > maxBytes) throw new BlobTooLargeError(`Blob is larger than ${maxBytes} bytes`)
      const up = await store.putTemp(did, body, { maxBytes, idleTimeoutMs })
      const loc = { did, cid: up.cid, tempKey: up.tempKey }
      if (opts.declaredLength !== undefined && up.size !== opts.declaredLength) {
        await store.delete(loc)
        throw new BlobBodyError(`Content-Length said ${opts.declaredLength} bytes, the body had ${up.size}`)
      }
      // The client hung up (or sent bytes past its Content-Length, which ends the connection): no one will reference this.
      if (opts.signal?.aborted) {
        await store.delete(loc)
        throw new BlobBodyError('The client closed the connection before the upload was acknowledged')
      }
      if (up.size === 0) {
        await store.delete(loc)
        throw new EmptyBlobError('Blob is empty')
      }
      if (!index.add(did, up.cid, opts.mimeType, up.size, up.tempKey)) {
        await store.delete(loc) // the account has these bytes already
      } else if (index.isReferenced(did, up.cid)) {
        // Records came first (an imported repository): the blob they wait for goes straight to its place.
        await this.promote(did, [up.cid])
      }
      return { cid: up.cid, size: up.size, mimeType: opts.mimeType }
    } catch (err) {
      metrics.uploadFailed(
        err instanceof BlobTooLargeError ? 'too_large' : err instanceof BlobUploadStalledError ? 'stalled' : err instanceof BlobBodyError || err instanceof EmptyBlobError ? 'bad_body' : 'store',
      )
      throw err
    }
  }

  /** The blob (or the part `rangeHeader` asks for), streamed from the store. */
  async open(did: string, cid: string, rangeHeader?: string): Promise<OpenedBlob> {
    const { index, store } = this.deps
    for (let attempt = 0; attempt < 2; attempt++) {
      const row = index.get(did, cid)
      if (!row) return { kind: 'missing' }
      const range = parseRange(rangeHeader, row.size)
      if (range === 'unsatisfiable') return { kind: 'unsatisfiable', row }
      const stream = await store.read(row, range ?? undefined)
      if (stream) return { kind: 'found', row, stream, range }
      // Moved to its final key between the lookup and the read: look again once.
      if (!row.tempKey) break
    }
    return { kind: 'missing' }
  }

  /**
   * After a commit: moves the blobs it references that are still uploads to
   * their final keys. Never throws: a blob left behind is read from its
   * temporary key and the collector finishes the move.
   */
  async promote(did: string, cids: Iterable<string>): Promise<void> {
    const { index, store, logger } = this.deps
    for (const cid of new Set(cids)) {
      const row = index.get(did, cid)
      if (!row?.tempKey) continue
      try {
        await store.makePermanent(did, row.tempKey, cid)
        index.markPermanent(did, cid, row.tempKey)
      } catch (err) {
        logger.warn({ err, did, cid }, 'moving a referenced blob to its final key failed; the collector will retry')
      }
    }
  }

  /** Deletes a removed account's objects (null when the store failed; its rows are gone, and its purge was requested, in the removal's transaction). */
  async purgeAccount(did: string): Promise<number | null> {
    const { index, store, logger, metrics } = this.deps
    try {
      let n = 0
      for (const ns of this.deps.accountNamespaces?.(did) ?? [did]) n += await store.deleteAccount(ns)
      index.accountPurged(did)
      metrics.collected('deleted_account', n)
      if (n) logger.info({ did, objects: n }, "deleted a removed account's blobs")
      return n
    } catch (err) {
      logger.warn({ err, did }, "deleting a removed account's blobs failed; the collector will retry")
      return null
    }
  }
}

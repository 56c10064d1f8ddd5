/**
 * Where blob bytes live: the data folder (DiskBlobStore, the default) or any
 * S3-compatible object store (S3BlobStore). Both keep every key under its
 * account, so one account's blobs can be listed, exported and deleted alone.
 *
 * An upload streams into the account's temporary area while it is hashed
 * (`putTemp`); once its CID is known and a record references it, it is moved
 * to its final key (`makePermanent`). Until then it is read from where it
 * sits (a `BlobLocation` names either place). The index of which blobs exist
 * and who references them is `BlobIndex` (SQLite); a store only holds bytes.
 *
 * @example
 * const up = await store.putTemp(did, request.body, { maxBytes: 50 << 20, idleTimeoutMs: 30_000 })
 * // …a record references up.cid:
 * await store.makePermanent(did, up.tempKey, up.cid)
 * const stream = await store.read({ did, cid: up.cid }, { start: 0, end: 1023 })
 */
import type { Readable } from 'node:stream'

/** An upload body: a web stream (a Request's body) or a Node stream. */
export type BlobBody = ReadableStream<Uint8Array> | Readable

export interface UploadLimits {
  /** The upload fails with BlobTooLargeError at the first byte past this. */
  maxBytes: number
  /** The upload fails with BlobUploadStalledError when no byte moves for this long (0: never). */
  idleTimeoutMs: number
}

/** A finished upload in the temporary area. */
export interface TempBlob {
  /** Names the upload inside its account's temporary area (opaque, store-independent). */
  tempKey: string
  cid: string
  size: number
}

/** Where one blob sits: its final key (did, cid), or its temporary key while still unreferenced. */
export interface BlobLocation {
  did: string
  cid: string
  tempKey?: string | null
}

/** Bytes `start` to `end`, both included (as in an HTTP Range). */
export interface ByteRange {
  start: number
  end: number
}

/** One object in the temporary area, as listed for collection. */
export interface TempEntry {
  tempKey: string
  modifiedAt: Date
  delete(): Promise<void>
}

export interface BlobStore {
  readonly kind: 'disk' | 's3'
  /** For logs and the operator: the folder, or the endpoint and bucket. */
  readonly description: string
  /**
   * Streams `body` into the account's temporary area, hashing as it goes.
   * Never holds the whole blob in memory; reads no faster than the store
   * writes. On any failure nothing is left behind.
   */
  putTemp(did: string, body: BlobBody, limits: UploadLimits): Promise<TempBlob>
  /** Moves a temporary upload to its final key. Idempotent: a blob already in place is fine. */
  makePermanent(did: string, tempKey: string, cid: string): Promise<void>
  /**
   * Writes `body` at `loc` (final or temporary key), checking as it streams
   * that the bytes hash to `loc.cid`: BlobCidMismatchError otherwise, and
   * nothing is written. For moving blobs between stores.
   */
  write(loc: BlobLocation, body: BlobBody): Promise<{ size: number }>
  /** The blob's bytes (or the range of them), streamed from the store; null when absent. */
  read(loc: BlobLocation, range?: ByteRange): Promise<Readable | null>
  /** The blob's size in the store; null when absent. */
  size(loc: BlobLocation): Promise<number | null>
  delete(loc: BlobLocation): Promise<void>
  /** Deletes every object of the account, temporary ones included; returns how many went. */
  deleteAccount(did: string): Promise<number>
  /** The account's blobs at their final keys. */
  listAccount(did: string): AsyncIterable<{ cid: string; size: number }>
  /** Everything in the temporary area, every account (for collecting abandoned uploads). */
  listTemp(): AsyncIterable<TempEntry>
  close(): void
}

export class BlobTooLargeError extends Error {}
/** The body stopped moving for longer than the idle timeout. */
export class BlobUploadStalledError extends Error {}
/** The request body failed while being read (client went away, Content-Length not met). */
export class BlobBodyError extends Error {}
export class BlobCidMismatchError extends Error {}

/** Account folder / key segment on disk: DIDs hold ':' and may hold '%'. */
export const diskSafeDid = (did: string) => did.replace(/[^a-zA-Z0-9._-]/g, '_')

/**
 * Files kept in scopes (exported photos, PDFs): uploaded into one scope of
 * one account, used by that scope's records only, served only through the
 * grant-gated `dev.hearth.scope.getBlob`. Their rows live in `scope_blob`,
 * not `blob`, and their bytes under a namespace of their own in the blob
 * store, so the public getBlob and listBlobs never see them. A file is
 * erased in the transaction that removes the last record using it (its
 * bytes right after that transaction commits).
 *
 * @example
 * const { cid } = await scopeBlobs.upload(did, 'photos.exported', body, 'image/jpeg', limit)
 * scopeBlobs.assertUsable(did, 'photos.exported', [{ cid, mimeType: 'image/jpeg', size }])
 */
import type { Readable } from 'node:stream'
import type { Db } from '../db/open-database.js'
import { BlobBodyError, BlobTooLargeError, BlobUploadStalledError, type BlobStore } from '../blob/blob-store.js'
import type { BlobUse } from '../repo/prepare-writes.js'
import { BlobNotFound, HearthError, invalidRequest } from '../errors/hearth-error.js'

/** The blob-store namespace of an account's scope files (apart from its public blobs). */
export const scopeBlobNamespace = (did: string) => `${did}#scopes`

export interface ScopeBlobRow {
  cid: string
  mimeType: string
  size: number
}

export class ScopeBlobs {
  private insertStmt
  private getStmt
  private unlinkStmt
  private linkStmt
  private stillUsedStmt
  private deleteRowStmt

  constructor(
    private db: Db,
    private store: BlobStore,
    /** A scope-file upload that makes no progress this long is abandoned (408). */
    private uploadIdleTimeoutMs = 30_000,
  ) {
    this.insertStmt = db.prepare(
      `INSERT INTO scope_blob (did, scope, cid, mime_type, size, created_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (did, scope, cid) DO UPDATE SET mime_type = excluded.mime_type`,
    )
    this.getStmt = db.prepare<[string, string, string], ScopeBlobRow>(
      'SELECT cid, mime_type AS mimeType, size FROM scope_blob WHERE did = ? AND scope = ? AND cid = ?',
    )
    this.unlinkStmt = db.prepare<[string, string, string], { blob_cid: string }>(
      'DELETE FROM scope_record_blob WHERE did = ? AND scope = ? AND rkey = ? RETURNING blob_cid',
    )
    this.linkStmt = db.prepare('INSERT OR IGNORE INTO scope_record_blob (did, scope, rkey, blob_cid) VALUES (?, ?, ?, ?)')
    this.stillUsedStmt = db.prepare<[string, string, string], { one: number }>(
      'SELECT 1 AS one FROM scope_record_blob WHERE did = ? AND scope = ? AND blob_cid = ? LIMIT 1',
    )
    this.deleteRowStmt = db.prepare('DELETE FROM scope_blob WHERE did = ? AND scope = ? AND cid = ?')
  }

  /**
   * Stores an upload (at most maxBytes) as a file of the scope: streamed into
   * the store's temporary area while hashed, then moved to its final key at
   * once (a scope file is usable as soon as it is uploaded).
   */
  async upload(did: string, scope: string, body: ReadableStream<Uint8Array> | Readable, mimeType: string, maxBytes: number) {
    const ns = scopeBlobNamespace(did)
    let stored: { cid: string; size: number; tempKey: string }
    try {
      stored = await this.store.putTemp(ns, body, { maxBytes, idleTimeoutMs: this.uploadIdleTimeoutMs })
    } catch (err) {
      if (err instanceof BlobTooLargeError) throw new HearthError('too-large', 'PayloadTooLarge', `File is larger than ${maxBytes} bytes (HEARTH_MAX_INGEST_BYTES)`)
      if (err instanceof BlobUploadStalledError) throw new HearthError('timeout', 'RequestTimeout', `${err.message}: upload abandoned`)
      if (err instanceof BlobBodyError) throw invalidRequest(err.message)
      throw err
    }
    if (stored.size === 0) {
      await this.store.delete({ did: ns, cid: stored.cid, tempKey: stored.tempKey })
      throw invalidRequest('The file is empty')
    }
    await this.store.makePermanent(ns, stored.tempKey, stored.cid)
    this.insertStmt.run(did, scope, stored.cid, mimeType, stored.size, new Date().toISOString())
    return { cid: stored.cid, mimeType, size: stored.size }
  }

  async get(did: string, scope: string, cid: string): Promise<{ row: ScopeBlobRow; stream: Readable } | null> {
    const row = this.getStmt.get(did, scope, cid)
    const stream = row ? await this.store.read({ did: scopeBlobNamespace(did), cid }) : null
    return row && stream ? { row, stream } : null
  }

  /** Throws 400 unless every referenced file was uploaded into this very scope, as described. */
  assertUsable(did: string, scope: string, uses: BlobUse[], where = 'data'): void {
    for (const b of uses) {
      const row = this.getStmt.get(did, scope, b.cid)
      if (!row) throw new BlobNotFound(`${where}: no file ${b.cid} in scope ${scope}: upload it into this scope first (dev.hearth.scope.uploadBlob)`)
      if (row.mimeType !== b.mimeType || row.size !== b.size) {
        throw invalidRequest(`${where}: file ${b.cid} is ${row.mimeType}, ${row.size} bytes; the reference says ${b.mimeType}, ${b.size}`, 'InvalidRecord')
      }
    }
  }

  /**
   * Sets the files a record uses (inside the commit's transaction) and
   * drops the rows of files no record of the scope uses any more; returns
   * their CIDs, whose bytes removeFiles deletes once the transaction is in.
   */
  relink(did: string, scope: string, rkey: string, cids: string[]): string[] {
    const before = this.unlinkStmt.all(did, scope, rkey).map((r) => r.blob_cid)
    for (const cid of cids) this.linkStmt.run(did, scope, rkey, cid)
    const orphans: string[] = []
    for (const cid of new Set(before)) {
      if (cids.includes(cid) || this.stillUsedStmt.get(did, scope, cid)) continue
      this.deleteRowStmt.run(did, scope, cid)
      orphans.push(cid)
    }
    return orphans
  }

  /** Every file of a scope, rows dropped (inside the scope's erasing transaction). */
  dropScope(did: string, scope: string): string[] {
    const cids = this.db.prepare('DELETE FROM scope_blob WHERE did = ? AND scope = ? RETURNING cid').all(did, scope) as { cid: string }[]
    this.db.prepare('DELETE FROM scope_record_blob WHERE did = ? AND scope = ?').run(did, scope)
    return cids.map((r) => r.cid)
  }

  /** Deletes the bytes of files whose rows are gone (the same bytes may still be a file of another scope). */
  async removeFiles(did: string, cids: string[]): Promise<void> {
    const inUse = this.db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM scope_blob WHERE did = ? AND cid = ? LIMIT 1')
    for (const cid of cids) if (!inUse.get(did, cid)) await this.store.delete({ did: scopeBlobNamespace(did), cid })
  }
}

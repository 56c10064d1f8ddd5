/**
 * Which blobs each account has, where each sits (temporary or final key),
 * which of its records reference them, and since when an unreferenced one
 * has been unreferenced. The collector's questions are answered here too.
 */
import type { Db } from '../db/open-database.js'

export interface BlobRow {
  did: string
  cid: string
  mimeType: string
  size: number
  createdAt: string
  /** Set while the bytes are in the store's temporary area (no record has referenced them yet). */
  tempKey: string | null
  /** When the last record referencing it went away (null: referenced, or a fresh upload). */
  unreferencedSince: string | null
}

interface Row {
  did: string
  cid: string
  mime_type: string
  size: number
  created_at: string
  temp_key: string | null
  unreferenced_since: string | null
}

const COLUMNS = 'did, cid, mime_type, size, created_at, temp_key, unreferenced_since'
const UNREFERENCED = 'NOT EXISTS (SELECT 1 FROM record_blob rb WHERE rb.did = blob.did AND rb.blob_cid = blob.cid)'

export class BlobIndex {
  // Prepared once: linkRecord runs in every commit, get for every blob a write references.
  private unlinkStmt
  private linkedStmt
  private linkStmt
  private getStmt
  private referencedStmt
  private claimStmt
  private releaseStmt

  constructor(private db: Db) {
    this.getStmt = db.prepare<[string, string], Row>(`SELECT ${COLUMNS} FROM blob WHERE did = ? AND cid = ?`)
    this.linkedStmt = db.prepare<[string, string], { blob_cid: string }>('SELECT blob_cid FROM record_blob WHERE did = ? AND record_uri = ?')
    this.unlinkStmt = db.prepare('DELETE FROM record_blob WHERE did = ? AND record_uri = ?')
    this.linkStmt = db.prepare('INSERT OR IGNORE INTO record_blob (did, blob_cid, record_uri) VALUES (?, ?, ?)')
    this.referencedStmt = db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM record_blob WHERE did = ? AND blob_cid = ? LIMIT 1')
    this.claimStmt = db.prepare('UPDATE blob SET unreferenced_since = NULL WHERE did = ? AND cid = ?')
    this.releaseStmt = db.prepare('UPDATE blob SET unreferenced_since = ? WHERE did = ? AND cid = ?')
  }

  /**
   * Records a finished upload sitting at `tempKey`. Returns whether that
   * copy was adopted: false when the account already has these bytes (the
   * new copy is to be deleted; the existing blob's clock starts again).
   */
  add(did: string, cid: string, mimeType: string, size: number, tempKey: string): boolean {
    const now = new Date().toISOString()
    return this.db.transaction(() => {
      const existing = this.get(did, cid)
      if (!existing) {
        this.db
          .prepare(`INSERT INTO blob (did, cid, mime_type, size, created_at, temp_key) VALUES (?, ?, ?, ?, ?, ?)`)
          .run(did, cid, mimeType, size, now, tempKey)
        return true
      }
      this.db
        .prepare(
          // Uploading again restarts the wait: the upload TTL of a temporary blob, the grace of a dereferenced one.
          `UPDATE blob SET mime_type = ?,
             created_at = CASE WHEN temp_key IS NULL THEN created_at ELSE ? END,
             unreferenced_since = CASE WHEN unreferenced_since IS NULL THEN NULL ELSE ? END
           WHERE did = ? AND cid = ?`,
        )
        .run(mimeType, now, now, did, cid)
      return false
    })()
  }

  get(did: string, cid: string): BlobRow | null {
    const r = this.getStmt.get(did, cid)
    return r ? toBlobRow(r) : null
  }

  isReferenced(did: string, cid: string): boolean {
    return this.referencedStmt.get(did, cid) !== undefined
  }

  /**
   * Replaces the blob links of one record (call inside the commit's
   * transaction). A blob it no longer references, and no other record does,
   * starts its grace period. With `requireBlobs`, a blob row that vanished
   * since the write was checked (collected meanwhile) throws, rolling the
   * commit back rather than leaving a record pointing at nothing.
   */
  linkRecord(did: string, uri: string, blobCids: string[], opts: { requireBlobs?: boolean } = {}): void {
    const before = this.linkedStmt.all(did, uri).map((r) => r.blob_cid)
    this.unlinkStmt.run(did, uri)
    for (const cid of blobCids) {
      this.linkStmt.run(did, cid, uri)
      const claimed = this.claimStmt.run(did, cid).changes
      if (claimed === 0 && opts.requireBlobs) throw new MissingBlobError(cid)
    }
    if (before.length === 0) return
    const now = new Date().toISOString()
    for (const cid of before) {
      if (!blobCids.includes(cid) && !this.isReferenced(did, cid)) this.releaseStmt.run(now, did, cid)
    }
  }

  /** The bytes moved to their final key. */
  markPermanent(did: string, cid: string, tempKey: string): void {
    this.db.prepare('UPDATE blob SET temp_key = NULL WHERE did = ? AND cid = ? AND temp_key = ?').run(did, cid, tempKey)
  }

  /**
   * Blob CIDs referenced by the account's public records, optionally only by
   * records written after `since` (a rev). Uploads no record uses yet (they
   * are collected later) and blobs of scope records are not listed: relays
   * mirror what this answers.
   */
  list(did: string, opts: { limit: number; cursor?: string; since?: string }): string[] {
    return (
      this.db
        .prepare(
          `SELECT DISTINCT rb.blob_cid AS cid FROM record_blob rb
           JOIN record r ON r.did = rb.did AND r.scope = '' AND ('at://' || r.did || '/' || r.collection || '/' || r.rkey) = rb.record_uri
           WHERE rb.did = ? AND r.rev > ? AND rb.blob_cid > ? ORDER BY rb.blob_cid LIMIT ?`,
        )
        .all(did, opts.since ?? '', opts.cursor ?? '', opts.limit) as { cid: string }[]
    ).map((r) => r.cid)
  }

  // ---- collection ----

  /** Uploads no record referenced, made before `cutoff` (ISO time). */
  expiredUploads(cutoff: string, limit: number): BlobRow[] {
    return this.db
      .prepare<[string, number], Row>(`SELECT ${COLUMNS} FROM blob WHERE temp_key IS NOT NULL AND created_at < ? AND ${UNREFERENCED} LIMIT ?`)
      .all(cutoff, limit)
      .map(toBlobRow)
  }

  /** Blobs unreferenced since before `cutoff` (ISO time). */
  dereferenced(cutoff: string, limit: number): BlobRow[] {
    return this.db
      .prepare<[string, number], Row>(`SELECT ${COLUMNS} FROM blob WHERE unreferenced_since < ? AND ${UNREFERENCED} LIMIT ?`)
      .all(cutoff, limit)
      .map(toBlobRow)
  }

  /** Referenced blobs still at a temporary key (the server stopped between commit and move). */
  referencedUploads(limit: number): BlobRow[] {
    return this.db
      .prepare<[number], Row>(`SELECT ${COLUMNS} FROM blob WHERE temp_key IS NOT NULL AND NOT ${UNREFERENCED} LIMIT ?`)
      .all(limit)
      .map(toBlobRow)
  }

  /**
   * Deletes the row if it is still what the collector picked: unreferenced
   * and at the same place. False when a record claimed it or it was
   * uploaded again since (then its bytes stay).
   */
  removeIfOrphan(row: BlobRow, kind: 'upload' | 'dereferenced', cutoff: string): boolean {
    const clock = kind === 'upload' ? 'created_at' : 'unreferenced_since'
    return (
      this.db
        .prepare(`DELETE FROM blob WHERE did = ? AND cid = ? AND temp_key IS ? AND ${clock} < ? AND ${UNREFERENCED}`)
        .run(row.did, row.cid, row.tempKey, cutoff).changes === 1
    )
  }

  /** Whether any blob row names this temporary key (an object without one is a leftover). */
  hasTempKey(tempKey: string): boolean {
    return this.db.prepare('SELECT 1 FROM blob WHERE temp_key = ?').get(tempKey) !== undefined
  }

  /** Every blob row, in key order, in pages (moving between stores). */
  page(after: { did: string; cid: string } | null, limit: number): BlobRow[] {
    return this.db
      .prepare<[string, string, string, number], Row>(`SELECT ${COLUMNS} FROM blob WHERE did > ? OR (did = ? AND cid > ?) ORDER BY did, cid LIMIT ?`)
      .all(after?.did ?? '', after?.did ?? '', after?.cid ?? '', limit)
      .map(toBlobRow)
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM blob').get() as { n: number }).n
  }

  /** Unreferenced blobs now: uploads waiting for a record, and blobs in their grace period. */
  countUnreferenced(): { uploads: number; dereferenced: number } {
    const uploads = this.db.prepare(`SELECT COUNT(*) AS n FROM blob WHERE temp_key IS NOT NULL AND unreferenced_since IS NULL AND ${UNREFERENCED}`).get() as { n: number }
    const deref = this.db.prepare(`SELECT COUNT(*) AS n FROM blob WHERE unreferenced_since IS NOT NULL AND ${UNREFERENCED}`).get() as { n: number }
    return { uploads: uploads.n, dereferenced: deref.n }
  }

  /** Notes (inside the removal's transaction) that a deleted account's objects must go. */
  requestAccountPurge(did: string): void {
    this.db.prepare('INSERT OR REPLACE INTO blob_account_purge (did, requested_at) VALUES (?, ?)').run(did, new Date().toISOString())
  }

  pendingAccountPurges(limit: number): string[] {
    return (this.db.prepare('SELECT did FROM blob_account_purge ORDER BY requested_at LIMIT ?').all(limit) as { did: string }[]).map((r) => r.did)
  }

  accountPurged(did: string): void {
    this.db.prepare('DELETE FROM blob_account_purge WHERE did = ?').run(did)
  }
}

export class MissingBlobError extends Error {
  constructor(readonly cid: string) {
    super(`Could not find blob: ${cid}`)
  }
}

function toBlobRow(r: Row): BlobRow {
  return {
    did: r.did,
    cid: r.cid,
    mimeType: r.mime_type,
    size: r.size,
    createdAt: r.created_at,
    tempKey: r.temp_key,
    unreferencedSince: r.unreferenced_since,
  }
}

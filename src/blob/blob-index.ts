/**
 * Which blobs each account has, and which of its records reference them.
 */
import type { Db } from '../db/open-database.js'

export interface BlobRow {
  cid: string
  mimeType: string
  size: number
  createdAt: string
}

export class BlobIndex {
  // Prepared once: linkRecord runs in every commit, get for every blob a write references.
  private unlinkStmt
  private linkStmt
  private getStmt

  constructor(private db: Db) {
    this.getStmt = db.prepare<[string, string], { cid: string; mime_type: string; size: number; created_at: string }>(
      'SELECT cid, mime_type, size, created_at FROM blob WHERE did = ? AND cid = ?',
    )
    this.unlinkStmt = db.prepare('DELETE FROM record_blob WHERE did = ? AND record_uri = ?')
    this.linkStmt = db.prepare('INSERT OR IGNORE INTO record_blob (did, blob_cid, record_uri) VALUES (?, ?, ?)')
  }

  add(did: string, cid: string, mimeType: string, size: number): void {
    this.db
      .prepare(
        `INSERT INTO blob (did, cid, mime_type, size, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (did, cid) DO UPDATE SET mime_type = excluded.mime_type`,
      )
      .run(did, cid, mimeType, size, new Date().toISOString())
  }

  get(did: string, cid: string): BlobRow | null {
    const r = this.getStmt.get(did, cid)
    return r ? { cid: r.cid, mimeType: r.mime_type, size: r.size, createdAt: r.created_at } : null
  }

  /** Replaces the blob links of one record (call inside the commit's transaction). */
  linkRecord(did: string, uri: string, blobCids: string[]): void {
    this.unlinkStmt.run(did, uri)
    for (const cid of blobCids) this.linkStmt.run(did, cid, uri)
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
}

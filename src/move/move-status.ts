/**
 * How far an account moving in has come: the blobs its records reference
 * that have not been uploaded yet (listMissingBlobs, paged by CID) and the
 * counts checkAccountStatus reports.
 */
import type { Db } from '../db/open-database.js'

export interface MissingBlob {
  cid: string
  recordUri: string
}

export class MoveStatus {
  private missingPage
  private expected
  private imported
  private blocks

  constructor(db: Db) {
    // One row per missing blob (the record with the smallest URI that needs it), CID order.
    this.missingPage = db.prepare<[string, string, number], { cid: string; record_uri: string }>(
      `SELECT rb.blob_cid AS cid, MIN(rb.record_uri) AS record_uri FROM record_blob rb
       WHERE rb.did = ? AND rb.blob_cid > ?
         AND NOT EXISTS (SELECT 1 FROM blob b WHERE b.did = rb.did AND b.cid = rb.blob_cid)
       GROUP BY rb.blob_cid ORDER BY rb.blob_cid LIMIT ?`,
    )
    this.expected = db.prepare<[string], { n: number }>('SELECT COUNT(DISTINCT blob_cid) AS n FROM record_blob WHERE did = ?')
    this.imported = db.prepare<[string], { n: number }>(
      `SELECT COUNT(DISTINCT rb.blob_cid) AS n FROM record_blob rb
       WHERE rb.did = ? AND EXISTS (SELECT 1 FROM blob b WHERE b.did = rb.did AND b.cid = rb.blob_cid)`,
    )
    this.blocks = db.prepare<[string], { n: number }>("SELECT COUNT(*) AS n FROM repo_block WHERE did = ? AND scope = ''")
  }

  missingBlobs(did: string, opts: { limit: number; cursor?: string }): { blobs: MissingBlob[]; cursor?: string } {
    const rows = this.missingPage.all(did, opts.cursor ?? '', opts.limit)
    const blobs = rows.map((r) => ({ cid: r.cid, recordUri: r.record_uri }))
    return { blobs, ...(rows.length === opts.limit ? { cursor: rows[rows.length - 1].cid } : {}) }
  }

  counts(did: string): { expectedBlobs: number; importedBlobs: number; repoBlocks: number } {
    return { expectedBlobs: this.expected.get(did)!.n, importedBlobs: this.imported.get(did)!.n, repoBlocks: this.blocks.get(did)!.n }
  }
}

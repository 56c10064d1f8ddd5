/**
 * The record index: for each repository, which record key points at which
 * CID right now. Reads (getRecord, listRecords) come from here rather than
 * from walking the MST.
 */
import type { Db } from '../db/open-database.js'

export interface IndexedRecord {
  collection: string
  rkey: string
  cid: string
  rev: string
}

export class RecordIndex {
  private getStmt
  private putStmt
  private delStmt
  private listAsc
  private listDesc
  private collectionsStmt

  constructor(private db: Db) {
    this.getStmt = db.prepare<[string, string, string, string], { cid: string; rev: string }>(
      'SELECT cid, rev FROM record WHERE did = ? AND scope = ? AND collection = ? AND rkey = ?',
    )
    this.putStmt = db.prepare(
      `INSERT INTO record (did, scope, collection, rkey, cid, rev, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (did, scope, collection, rkey) DO UPDATE SET cid = excluded.cid, rev = excluded.rev, indexed_at = excluded.indexed_at`,
    )
    this.delStmt = db.prepare('DELETE FROM record WHERE did = ? AND scope = ? AND collection = ? AND rkey = ?')
    // Record keys sort as strings; listRecords pages newest-first by default
    // (TIDs sort by time), so "reverse" is ascending.
    this.listDesc = db.prepare<[string, string, string, string, number], IndexedRecord>(
      `SELECT collection, rkey, cid, rev FROM record
       WHERE did = ? AND scope = ? AND collection = ? AND rkey < ? ORDER BY rkey DESC LIMIT ?`,
    )
    this.listAsc = db.prepare<[string, string, string, string, number], IndexedRecord>(
      `SELECT collection, rkey, cid, rev FROM record
       WHERE did = ? AND scope = ? AND collection = ? AND rkey > ? ORDER BY rkey ASC LIMIT ?`,
    )
    this.collectionsStmt = db.prepare<[string, string], { collection: string; count: number }>(
      'SELECT collection, COUNT(*) AS count FROM record WHERE did = ? AND scope = ? GROUP BY collection ORDER BY collection',
    )
  }

  get(did: string, scope: string, collection: string, rkey: string): { cid: string; rev: string } | null {
    return this.getStmt.get(did, scope, collection, rkey) ?? null
  }

  put(did: string, scope: string, collection: string, rkey: string, cid: string, rev: string): void {
    this.putStmt.run(did, scope, collection, rkey, cid, rev, new Date().toISOString())
  }

  delete(did: string, scope: string, collection: string, rkey: string): void {
    this.delStmt.run(did, scope, collection, rkey)
  }

  list(did: string, scope: string, collection: string, opts: { limit: number; cursor?: string; reverse?: boolean }): IndexedRecord[] {
    return opts.reverse
      ? this.listAsc.all(did, scope, collection, opts.cursor ?? '', opts.limit)
      : this.listDesc.all(did, scope, collection, opts.cursor ?? '\uffff', opts.limit)
  }

  collections(did: string, scope = ''): { collection: string; count: number }[] {
    return this.collectionsStmt.all(did, scope)
  }
}

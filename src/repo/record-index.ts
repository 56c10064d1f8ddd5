/**
 * The record index: for each repository, which record key points at which
 * CID right now. Reads (getRecord, listRecords) come from here rather than
 * from walking the MST.
 */
import type { Db } from '../db/open-database.js'
import { cidStringToBytes } from './raw-block-map.js'
import { RecordJsonCache } from './record-json-cache.js'

export interface IndexedRecord {
  collection: string
  rkey: string
  cid: string
  rev: string
}

/** A record's index entry with its block (DAG-CBOR bytes). */
export interface IndexedRecordWithContent extends IndexedRecord {
  content: Buffer
}

const WITH_CONTENT = `SELECT r.collection, r.rkey, r.cid, r.rev, b.content FROM record r
  JOIN repo_block b ON b.did = r.did AND b.scope = r.scope AND b.cid = r.block_cid`

/**
 * Fills `block_cid` for rows written before migration 0005 (it holds the
 * binary form of `cid`, which SQL cannot compute from base32). Runs at start;
 * a no-op once every row has it.
 */
export function fillMissingBlockCids(db: Db): number {
  type Row = { did: string; scope: string; collection: string; rkey: string; cid: string }
  // Served by the partial index of migration 0005: no table scan once every row is filled.
  const rows = db.prepare('SELECT did, scope, collection, rkey, cid FROM record INDEXED BY record_block_cid_missing WHERE block_cid IS NULL').all() as Row[]
  const set = db.prepare('UPDATE record SET block_cid = ? WHERE did = ? AND scope = ? AND collection = ? AND rkey = ?')
  db.transaction(() => {
    for (const r of rows) set.run(cidStringToBytes(r.cid), r.did, r.scope, r.collection, r.rkey)
  })()
  return rows.length
}

export class RecordIndex {
  private getStmt
  private putStmt
  private delStmt
  private collectionsStmt
  private getContentStmt
  private listContentAsc
  private listContentDesc
  private listAsc
  private listDesc

  /** Serialised getRecord answers of public records; every write here makes its repository's entries stale. */
  readonly jsonCache: RecordJsonCache

  constructor(private db: Db, jsonCacheBytes = 16 * 1024 * 1024) {
    this.jsonCache = new RecordJsonCache(jsonCacheBytes)
    this.getStmt = db.prepare<[string, string, string, string], { cid: string; rev: string }>(
      'SELECT cid, rev FROM record WHERE did = ? AND scope = ? AND collection = ? AND rkey = ?',
    )
    this.putStmt = db.prepare(
      `INSERT INTO record (did, scope, collection, rkey, cid, block_cid, rev, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (did, scope, collection, rkey) DO UPDATE SET
         cid = excluded.cid, block_cid = excluded.block_cid, rev = excluded.rev, indexed_at = excluded.indexed_at`,
    )
    this.delStmt = db.prepare('DELETE FROM record WHERE did = ? AND scope = ? AND collection = ? AND rkey = ?')
    this.getContentStmt = db.prepare<[string, string, string, string], IndexedRecordWithContent>(
      `${WITH_CONTENT} WHERE r.did = ? AND r.scope = ? AND r.collection = ? AND r.rkey = ?`,
    )
    // Record keys sort as strings; listRecords pages newest-first by default
    // (TIDs sort by time), so "reverse" is ascending.
    this.listContentDesc = db.prepare<[string, string, string, string, number], IndexedRecordWithContent>(
      `${WITH_CONTENT} WHERE r.did = ? AND r.scope = ? AND r.collection = ? AND r.rkey < ? ORDER BY r.rkey DESC LIMIT ?`,
    )
    this.listContentAsc = db.prepare<[string, string, string, string, number], IndexedRecordWithContent>(
      `${WITH_CONTENT} WHERE r.did = ? AND r.scope = ? AND r.collection = ? AND r.rkey > ? ORDER BY r.rkey ASC LIMIT ?`,
    )
    // The same pages from the record table alone, for readers that hold most records' answers already.
    this.listDesc = db.prepare<[string, string, string, string, number], { rkey: string; cid: string }>(
      'SELECT rkey, cid FROM record WHERE did = ? AND scope = ? AND collection = ? AND rkey < ? ORDER BY rkey DESC LIMIT ?',
    )
    this.listAsc = db.prepare<[string, string, string, string, number], { rkey: string; cid: string }>(
      'SELECT rkey, cid FROM record WHERE did = ? AND scope = ? AND collection = ? AND rkey > ? ORDER BY rkey ASC LIMIT ?',
    )
    this.collectionsStmt = db.prepare<[string, string], { collection: string; count: number }>(
      'SELECT collection, COUNT(*) AS count FROM record WHERE did = ? AND scope = ? GROUP BY collection ORDER BY collection',
    )
  }

  /** The record with its block, in one query. */
  getWithContent(did: string, scope: string, collection: string, rkey: string): IndexedRecordWithContent | null {
    return this.getContentStmt.get(did, scope, collection, rkey) ?? null
  }

  /** A page of records with their blocks, in one query (order as in list()). */
  listWithContent(did: string, scope: string, collection: string, opts: { limit: number; cursor?: string; reverse?: boolean }): IndexedRecordWithContent[] {
    return opts.reverse
      ? this.listContentAsc.all(did, scope, collection, opts.cursor ?? '', opts.limit)
      : this.listContentDesc.all(did, scope, collection, opts.cursor ?? '\uffff', opts.limit)
  }

  /** A page's record keys and CIDs without their blocks (order as in listWithContent). */
  listKeys(did: string, scope: string, collection: string, opts: { limit: number; cursor?: string; reverse?: boolean }): { rkey: string; cid: string }[] {
    return opts.reverse
      ? this.listAsc.all(did, scope, collection, opts.cursor ?? '', opts.limit)
      : this.listDesc.all(did, scope, collection, opts.cursor ?? '\uffff', opts.limit)
  }

  get(did: string, scope: string, collection: string, rkey: string): { cid: string; rev: string } | null {
    return this.getStmt.get(did, scope, collection, rkey) ?? null
  }

  put(did: string, scope: string, collection: string, rkey: string, cid: string, rev: string): void {
    this.putStmt.run(did, scope, collection, rkey, cid, cidStringToBytes(cid), rev, new Date().toISOString())
    this.jsonCache.touch(did)
  }

  delete(did: string, scope: string, collection: string, rkey: string): void {
    this.delStmt.run(did, scope, collection, rkey)
    this.jsonCache.touch(did)
  }

  /** A repository was deleted or replaced by other means than put/delete: forget what was cached of it. */
  forgetRepo(did: string): void {
    this.jsonCache.touch(did)
  }

  collections(did: string, scope = ''): { collection: string; count: number }[] {
    return this.collectionsStmt.all(did, scope)
  }
}

/**
 * The side table of scope records: when each was collected, so a scope can
 * be listed newest first by `collectedAt` (keyed records keep their key, so
 * the record key says nothing about time), and so "everything before a
 * date" is one indexed range. Written in the commit's transaction.
 *
 * @example
 * scopeRecords.page(did, 'instagram.profile', { limit: 50 }) // newest first, with a cursor
 */
import type { Db } from '../db/open-database.js'
import { invalidRequest } from '../errors/hearth-error.js'

export interface ScopeRecordRow {
  rkey: string
  collectedAt: string
  cid: string
  content: Buffer
}

const PAGE = `SELECT s.rkey, s.collected_at AS collectedAt, r.cid, b.content FROM scope_record s
  JOIN record r ON r.did = s.did AND r.scope = s.scope AND r.collection = s.scope AND r.rkey = s.rkey
  JOIN repo_block b ON b.did = r.did AND b.scope = r.scope AND b.cid = r.block_cid
  WHERE s.did = ? AND s.scope = ?`

export class ScopeRecords {
  private putStmt
  private getStmt
  private deleteStmt
  private newestStmt
  private oldestStmt
  private beforeStmt
  private allStmt

  constructor(private db: Db) {
    this.putStmt = db.prepare(
      `INSERT INTO scope_record (did, scope, rkey, collected_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (did, scope, rkey) DO UPDATE SET collected_at = excluded.collected_at`,
    )
    this.getStmt = db.prepare<[string, string, string], { collected_at: string }>('SELECT collected_at FROM scope_record WHERE did = ? AND scope = ? AND rkey = ?')
    this.deleteStmt = db.prepare('DELETE FROM scope_record WHERE did = ? AND scope = ? AND rkey = ?')
    this.newestStmt = db.prepare<[string, string, string, string, number], ScopeRecordRow>(
      `${PAGE} AND (s.collected_at, s.rkey) < (?, ?) ORDER BY s.collected_at DESC, s.rkey DESC LIMIT ?`,
    )
    this.oldestStmt = db.prepare<[string, string, string, string, number], ScopeRecordRow>(
      `${PAGE} AND (s.collected_at, s.rkey) > (?, ?) ORDER BY s.collected_at ASC, s.rkey ASC LIMIT ?`,
    )
    this.beforeStmt = db.prepare<[string, string, string], { rkey: string }>('SELECT rkey FROM scope_record WHERE did = ? AND scope = ? AND collected_at < ? ORDER BY collected_at')
    this.allStmt = db.prepare<[string, string], { rkey: string }>('SELECT rkey FROM scope_record WHERE did = ? AND scope = ?')
  }

  /** Call inside the commit's transaction. */
  put(did: string, scope: string, rkey: string, collectedAt: string): void {
    this.putStmt.run(did, scope, rkey, collectedAt)
  }

  collectedAt(did: string, scope: string, rkey: string): string | null {
    return this.getStmt.get(did, scope, rkey)?.collected_at ?? null
  }

  delete(did: string, scope: string, rkey: string): void {
    this.deleteStmt.run(did, scope, rkey)
  }

  /** A page newest first (or oldest first with `reverse`); the cursor is "<collectedAt> <rkey>" of the last row. */
  page(did: string, scope: string, opts: { limit: number; cursor?: string; reverse?: boolean }): { rows: ScopeRecordRow[]; cursor?: string } {
    let at = opts.reverse ? '' : '\uffff'
    let rkey = ''
    if (opts.cursor !== undefined) {
      const space = opts.cursor.indexOf(' ')
      if (space < 1) throw invalidRequest('cursor is not one this method gave out', 'InvalidCursor')
      at = opts.cursor.slice(0, space)
      rkey = opts.cursor.slice(space + 1)
    }
    const rows = (opts.reverse ? this.oldestStmt : this.newestStmt).all(did, scope, at, rkey, opts.limit)
    const last = rows[rows.length - 1]
    return { rows, cursor: rows.length === opts.limit ? `${last.collectedAt} ${last.rkey}` : undefined }
  }

  /** Keys of the records collected before `before` (an ISO time), oldest first. */
  keysBefore(did: string, scope: string, before: string): string[] {
    return this.beforeStmt.all(did, scope, before).map((r) => r.rkey)
  }

  keys(did: string, scope: string): string[] {
    return this.allStmt.all(did, scope).map((r) => r.rkey)
  }

  dropScope(did: string, scope: string): void {
    this.db.prepare('DELETE FROM scope_record WHERE did = ? AND scope = ?').run(did, scope)
  }
}

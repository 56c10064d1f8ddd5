/**
 * What scopes an account has, for its owner's pages: each scope repository
 * with its record count, newest record key and head rev.
 */
import type { Db } from '../db/open-database.js'

export interface ScopeSummary {
  scope: string
  records: number
  /** Record key of the newest record (TIDs sort by time), or null for an empty scope. */
  newestRkey: string | null
  rev: string
  updatedAt: string
}

export class ScopeCatalog {
  private listStmt
  private oneStmt

  constructor(db: Db) {
    // In a scope repository the record index's collection is the scope name.
    const select = `SELECT r.scope AS scope, r.rev AS rev, r.indexed_at AS updatedAt,
              (SELECT COUNT(*) FROM record x WHERE x.did = r.did AND x.scope = r.scope) AS records,
              (SELECT MAX(rkey) FROM record x WHERE x.did = r.did AND x.scope = r.scope) AS newestRkey
       FROM repo_root r`
    this.listStmt = db.prepare<[string], ScopeSummary>(`${select} WHERE r.did = ? AND r.scope != '' ORDER BY r.scope`)
    this.oneStmt = db.prepare<[string, string], ScopeSummary>(`${select} WHERE r.did = ? AND r.scope = ?`)
  }

  /** Every scope repository of the account, by name. */
  list(did: string): ScopeSummary[] {
    return this.listStmt.all(did)
  }

  /** One scope, or null when the account has no such scope repository. */
  get(did: string, scope: string): ScopeSummary | null {
    if (!scope) return null
    return this.oneStmt.get(did, scope) ?? null
  }
}

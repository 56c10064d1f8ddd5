/**
 * The read log: every time an app reads a scope through a grant (a
 * listRecords page, a record, the scope's CAR, or the first event of a scope
 * on a scoped-firehose connection), one row: which grant, which app, which
 * scope, when, how. The owner sees it per grant. Rows older than
 * READ_LOG_RETENTION_DAYS are dropped as new ones come in.
 *
 * @example
 * readLog.record({ grantId, appDid, ownerDid, scope, method: 'dev.hearth.scope.getRecord', detail: rkey })
 * readLog.forGrant(grantId) // newest first
 */
import type { Db } from '../db/open-database.js'

export const READ_LOG_RETENTION_DAYS = 90

export interface ReadLogEntry {
  grantId: string
  appDid: string
  ownerDid: string
  scope: string
  method: string
  detail: string | null
  /** ms since the epoch */
  readAt: number
}

/** A read as it was logged, with its row id (ids only grow while the newest row is kept). */
export interface LoggedRead extends ReadLogEntry {
  id: number
}

export class ReadLog {
  private listeners = new Set<(read: LoggedRead) => void>()
  private insert
  private forGrantStmt
  private pruneStmt
  private countStmt
  private writes = 0

  constructor(db: Db) {
    this.insert = db.prepare(
      'INSERT INTO scope_read_log (grant_id, app_did, owner_did, scope, method, detail, read_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    )
    this.forGrantStmt = db.prepare<[string, number], ReadLogEntry>(
      `SELECT grant_id AS grantId, app_did AS appDid, owner_did AS ownerDid, scope, method, detail, read_at AS readAt
       FROM scope_read_log WHERE grant_id = ? ORDER BY read_at DESC, id DESC LIMIT ?`,
    )
    this.pruneStmt = db.prepare('DELETE FROM scope_read_log WHERE read_at < ?')
    this.countStmt = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM scope_read_log WHERE grant_id = ?')
  }

  record(e: Omit<ReadLogEntry, 'readAt' | 'detail'> & { detail?: string | null }, now = Date.now()): void {
    if (++this.writes % 1000 === 0) this.pruneStmt.run(now - READ_LOG_RETENTION_DAYS * 24 * 3600_000)
    const { lastInsertRowid } = this.insert.run(e.grantId, e.appDid, e.ownerDid, e.scope, e.method, e.detail ?? null, now)
    if (this.listeners.size === 0) return
    const read: LoggedRead = { ...e, detail: e.detail ?? null, readAt: now, id: Number(lastInsertRowid) }
    for (const l of this.listeners) l(read)
  }

  /** Calls `listener` with every read logged from now on (the owner's live activity page); returns the way to stop. */
  onRecord(listener: (read: LoggedRead) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  countForGrant(grantId: string): number {
    return this.countStmt.get(grantId)!.n
  }

  /** The grant's reads, newest first. */
  forGrant(grantId: string, limit = 200): ReadLogEntry[] {
    return this.forGrantStmt.all(grantId, limit)
  }
}

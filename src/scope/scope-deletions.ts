/**
 * What an owner deleted from their scopes and when (never the deleted data):
 * one row per deletion, shown on the owner's scopes page. For a deleted
 * scope the row also names the apps that held a grant for it: the scope's
 * grant entries are gone with it, yet those apps must still receive the
 * event carrying the delete ops, live or on a later replay, so the scoped
 * stream asks here (kept in memory: one lookup per event and app).
 *
 * @example
 * deletions.record({ did, scope, kind: 'record', detail: 'self', records: 1, files: 0, seq, grantees: [] })
 * deletions.forOwner(did) // newest first
 */
import type { Db } from '../db/open-database.js'

export interface ScopeDeletion {
  did: string
  scope: string
  kind: 'record' | 'scope' | 'before'
  detail: string
  records: number
  files: number
  seq: number | null
  grantees: string[]
  /** ms since the epoch */
  deletedAt: number
}

export class ScopeDeletions {
  private insertStmt
  private ownerStmt
  /** seq of a deleted scope's last event → the scope and the apps still to be told. */
  private notices = new Map<number, { scope: string; apps: Set<string> }>()

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      'INSERT INTO scope_deletion (did, scope, kind, detail, records, files, seq, grantees, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    this.ownerStmt = db.prepare<[string, number], Record<string, unknown>>(
      `SELECT did, scope, kind, detail, records, files, seq, grantees, deleted_at FROM scope_deletion WHERE did = ? ORDER BY deleted_at DESC, id DESC LIMIT ?`,
    )
    const rows = db.prepare("SELECT seq, scope, grantees FROM scope_deletion WHERE grantees != '[]' AND seq IS NOT NULL").all() as { seq: number; scope: string; grantees: string }[]
    for (const r of rows) this.notices.set(r.seq, { scope: r.scope, apps: new Set(JSON.parse(r.grantees) as string[]) })
  }

  /** Call inside the deleting transaction. */
  record(d: Omit<ScopeDeletion, 'deletedAt'>, now = Date.now()): void {
    this.insertStmt.run(d.did, d.scope, d.kind, d.detail, d.records, d.files, d.seq, JSON.stringify(d.grantees), now)
    if (d.seq !== null && d.grantees.length > 0) this.notices.set(d.seq, { scope: d.scope, apps: new Set(d.grantees) })
  }

  forOwner(did: string, limit = 100): ScopeDeletion[] {
    return this.ownerStmt.all(did, limit).map((r) => ({
      did: r.did as string,
      scope: r.scope as string,
      kind: r.kind as ScopeDeletion['kind'],
      detail: r.detail as string,
      records: r.records as number,
      files: r.files as number,
      seq: r.seq as number | null,
      grantees: JSON.parse(r.grantees as string) as string[],
      deletedAt: r.deleted_at as number,
    }))
  }

  /** Whether the event at `seq` is a deleted scope's last event that `app` held a grant for. */
  noticeFor(app: string, seq: number): boolean {
    return this.notices.get(seq)?.apps.has(app) ?? false
  }

  /** Names of deleted scopes whose last event `app` should still get (for replays). */
  scopesNoticed(app: string): string[] {
    const out = new Set<string>()
    for (const n of this.notices.values()) if (n.apps.has(app)) out.add(n.scope)
    return [...out]
  }
}

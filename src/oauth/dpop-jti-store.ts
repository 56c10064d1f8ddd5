/**
 * Which DPoP proofs were already taken, kept in SQLite (migrations/0012)
 * so a restart forgets none: a proof is usable for about a minute, and
 * one captured just before a restart must not pass just after it. A
 * bounded in-memory set in front answers the common replay (the same
 * process, seconds later) without a query; the table is the truth.
 * Expired rows are deleted at most once a minute, on a claim.
 *
 * @example
 * const jtis = new DpopJtiStore(db)
 * jtis.claim(`${jkt} ${jti}`, Date.now() + 70_000) // true the first time, false after
 */
import type { Db } from '../db/open-database.js'

const PRUNE_EVERY_MS = 60_000
/** Entries the in-memory front holds; past it the oldest go (the table still has them). */
export const MEMORY_JTIS = 50_000

export class DpopJtiStore {
  private insert
  private prune
  private recent = new Map<string, number>()
  private prunedAt = 0

  constructor(
    db: Db,
    private nowMs: () => number = Date.now,
  ) {
    // An expired row not yet pruned counts as free: it is taken over.
    this.insert = db.prepare('INSERT INTO dpop_jti (key, expires_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE dpop_jti.expires_at < ?')
    this.prune = db.prepare('DELETE FROM dpop_jti WHERE expires_at < ?')
  }

  /** Takes `key` until `expiresAt` (ms); false when it was taken before, by this process or an earlier one. */
  claim(key: string, expiresAt: number): boolean {
    const now = this.nowMs()
    const seen = this.recent.get(key)
    if (seen !== undefined && seen >= now) return false
    if (now - this.prunedAt > PRUNE_EVERY_MS) {
      this.prunedAt = now
      this.prune.run(now)
      for (const [k, until] of this.recent) if (until < now) this.recent.delete(k)
    }
    if (this.insert.run(key, expiresAt, now).changes === 0) return false
    if (this.recent.size >= MEMORY_JTIS) this.recent.delete(this.recent.keys().next().value!)
    this.recent.set(key, expiresAt)
    return true
  }

  /** How many the in-memory front holds (for tests of its bound). */
  get memorySize(): number {
    return this.recent.size
  }
}

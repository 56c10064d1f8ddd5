/**
 * Deleting scope data so that it is gone: a record by key, a whole scope,
 * or everything collected before a date. Each is one signed commit of the
 * scope repository with delete ops (on the scoped stream, so followers drop
 * their copies), and in that same transaction:
 *
 * - the blocks no longer reachable from the new tree are deleted (the
 *   committer's removed CIDs; the database runs with secure_delete, so the
 *   freed pages are zeroed, not merely unlinked);
 * - the earlier #commit frames that carried the records lose those ops and
 *   blocks (event-frame-eraser.ts);
 * - files no remaining record of the scope uses lose their rows (the bytes
 *   go right after the transaction);
 * - a whole scope also loses its repository, index rows, earlier events,
 *   grants' entries for it and read-log rows; the apps that held grants
 *   still get the last event (scope-deletions.ts);
 * - a row of the owner's deletion log says what went, and when.
 *
 * Afterwards the WAL is truncated if no reader holds it (best effort), so
 * the deleted bytes do not linger in the -wal file either.
 *
 * @example
 * await eraser.deleteRecord(did, 'instagram.profile', 'self')
 * await eraser.deleteBefore(did, 'instagram.posts', '2024-01-01T00:00:00Z')
 * await eraser.deleteScope(did, 'instagram.posts')
 */
import type { Db } from '../db/open-database.js'
import type { AccountStore } from '../account/account-store.js'
import type { RepoCommitter } from '../repo/repo-committer.js'
import { lockKey } from '../repo/repo-committer.js'
import type { RecordIndex } from '../repo/record-index.js'
import type { RepoLock } from '../repo/repo-lock.js'
import type { BlockTables } from '../repo/sql-repo-storage.js'
import type { PreparedDelete } from '../repo/prepare-writes.js'
import type { GrantStore } from '../grant/grant-store.js'
import type { StoredEvent } from '../sequencer/event-log.js'
import { AccountNotFound, HearthError, RecordNotFound, invalidRequest } from '../errors/hearth-error.js'
import { ensureValidScopeName } from './scope-name.js'
import { ensureValidIngestKey } from './scope-ingest.js'
import type { ScopeRecords } from './scope-records.js'
import type { ScopeBlobs } from './scope-blobs.js'
import type { ScopeDeletion, ScopeDeletions } from './scope-deletions.js'
import { eraseFromFrames } from './event-frame-eraser.js'

export interface ScopeEraserDeps {
  db: Db
  accounts: AccountStore
  committer: RepoCommitter
  lock: RepoLock
  tables: BlockTables
  records: RecordIndex
  scopeRecords: ScopeRecords
  scopeBlobs: ScopeBlobs
  deletions: ScopeDeletions
  grants: GrantStore
}

export interface ErasedScope {
  scope: string
  records: number
  files: number
  /** The commit carrying the delete ops; absent when nothing was there to delete. */
  commit?: { cid: string; rev: string }
}

/** Tables with a (did, scope) row per scope repository, emptied when a scope is deleted. */
const SCOPE_TABLES = ['repo_block', 'repo_root', 'record'] as const

export class ScopeEraser {
  constructor(private deps: ScopeEraserDeps) {}

  /** Deletes one record; 404 RecordNotFound (and no commit) when the scope has no such key. */
  async deleteRecord(did: string, scope: string, key: string): Promise<ErasedScope> {
    ensureValidScopeName(scope)
    ensureValidIngestKey(key)
    this.account(did)
    if (!this.deps.records.get(did, scope, scope, key)) throw new RecordNotFound(`Scope ${scope} has no record with key "${key}"`, 'not-found')
    return this.erase(did, scope, [key], { kind: 'record', detail: key })
  }

  /** Deletes every record collected before `before` (a datetime), in one scope or (scope null) in all of the account's. */
  async deleteBefore(did: string, scope: string | null, before: string): Promise<ErasedScope[]> {
    if (scope !== null) ensureValidScopeName(scope)
    const at = Date.parse(before)
    if (!/^\d{4}-\d\d-\d\d/.test(before) || Number.isNaN(at)) throw invalidRequest(`before "${before.slice(0, 40)}" is not a date: use an ISO datetime such as 2024-01-01T00:00:00Z`)
    const cutoff = new Date(at).toISOString()
    this.account(did)
    const scopes = scope !== null ? [scope] : this.scopesOf(did)
    const out: ErasedScope[] = []
    for (const s of scopes) {
      const keys = this.deps.scopeRecords.keysBefore(did, s, cutoff)
      out.push(keys.length ? await this.erase(did, s, keys, { kind: 'before', detail: cutoff }) : { scope: s, records: 0, files: 0 })
    }
    return out
  }

  /** Deletes a scope with everything in it; 404 ScopeNotFound when the account has no such scope. */
  async deleteScope(did: string, scope: string): Promise<ErasedScope> {
    ensureValidScopeName(scope)
    this.account(did)
    if (!this.deps.tables.getRoot.get(did, scope)) throw new HearthError('not-found', 'ScopeNotFound', `No scope ${scope} in this account`)
    const keys = this.deps.scopeRecords.keys(did, scope)
    if (keys.length > 0) return this.erase(did, scope, keys, { kind: 'scope', detail: 'whole scope', whole: true })
    // Nothing to delete op by op: drop the empty repository under its lock, without a commit.
    let files: string[] = []
    await this.deps.lock.run(lockKey(did, scope), async () => {
      this.deps.db.transaction(() => {
        files = this.dropScope(did, scope, Number.MAX_SAFE_INTEGER)
        this.deps.deletions.record({ did, scope, kind: 'scope', detail: 'whole scope', records: 0, files: files.length, seq: null, grantees: [] })
      })()
    })
    this.after(did, scope, files, true)
    return { scope, records: 0, files: files.length }
  }

  /** What the owner deleted, newest first. */
  history(did: string): ScopeDeletion[] {
    return this.deps.deletions.forOwner(did)
  }

  private async erase(did: string, scope: string, keys: string[], what: { kind: ScopeDeletion['kind']; detail: string; whole?: boolean }): Promise<ErasedScope> {
    const { committer, scopeRecords, scopeBlobs, deletions, db } = this.deps
    const writes: PreparedDelete[] = keys.map((rkey) => ({ action: 'delete', collection: scope, rkey }))
    const grantees = what.whole ? this.granteesOf(did, scope) : []
    let files: string[] = []
    const { commit } = await committer.applyWrites(did, writes, {
      scope,
      alsoInTransaction: (event: StoredEvent) => {
        for (const rkey of keys) {
          scopeRecords.delete(did, scope, rkey)
          files = files.concat(scopeBlobs.relink(did, scope, rkey, []))
        }
        if (what.whole) files = files.concat(this.dropScope(did, scope, event.seq))
        else eraseFromFrames(db, did, scope, new Set(keys.map((k) => `${scope}/${k}`)), event.seq)
        deletions.record({ did, scope, kind: what.kind, detail: what.detail, records: keys.length, files: files.length, seq: event.seq, grantees })
      },
    })
    this.after(did, scope, files, what.whole ?? false)
    return { scope, records: keys.length, files: files.length, commit }
  }

  /** Everything of a scope but its events from `keepSeq` on; returns the CIDs of its files. */
  private dropScope(did: string, scope: string, keepSeq: number): string[] {
    const { db, scopeRecords, scopeBlobs } = this.deps
    for (const table of SCOPE_TABLES) db.prepare(`DELETE FROM ${table} WHERE did = ? AND scope = ?`).run(did, scope)
    scopeRecords.dropScope(did, scope)
    const files = scopeBlobs.dropScope(did, scope)
    db.prepare('DELETE FROM repo_seq WHERE did = ? AND scope = ? AND seq < ?').run(did, scope, keepSeq)
    db.prepare('DELETE FROM scope_grant_scope WHERE scope = ? AND grant_id IN (SELECT id FROM scope_grant WHERE owner_did = ?)').run(scope, did)
    db.prepare('DELETE FROM scope_read_log WHERE owner_did = ? AND scope = ?').run(did, scope)
    return files
  }

  private after(did: string, scope: string, files: string[], whole: boolean): void {
    // Bytes after the rows: a failure here leaves files no row names, never rows without files.
    void this.deps.scopeBlobs.removeFiles(did, files).catch(() => {})
    if (whole) {
      this.deps.committer.forget(did, scope)
      this.deps.grants.version++ // grants lost a scope: the stream's cached copies must be read again
    }
    truncateWal(this.deps.db)
  }

  private account(did: string): void {
    if (!this.deps.accounts.get(did)) throw new AccountNotFound(`No account ${did}`)
  }

  private scopesOf(did: string): string[] {
    return (this.deps.db.prepare("SELECT scope FROM repo_root WHERE did = ? AND scope != '' ORDER BY scope").all(did) as { scope: string }[]).map((r) => r.scope)
  }

  private granteesOf(did: string, scope: string): string[] {
    const rows = this.deps.db
      .prepare(
        `SELECT DISTINCT g.grantee_did AS app FROM scope_grant g JOIN scope_grant_scope s ON s.grant_id = g.id
         WHERE g.owner_did = ? AND s.scope = ? AND g.revoked_at IS NULL AND (g.expires_at IS NULL OR g.expires_at > ?)`,
      )
      .all(did, scope, Date.now()) as { app: string }[]
    return rows.map((r) => r.app)
  }
}

/** Checkpoints the whole WAL into the database and empties it, unless a reader holds it now (then the next one will). */
function truncateWal(db: Db): void {
  const timeout = db.pragma('busy_timeout', { simple: true }) as number
  try {
    db.pragma('busy_timeout = 0')
    db.pragma('wal_checkpoint(TRUNCATE)')
  } catch {
    // busy: a reader or the checkpoint worker is in the WAL; erased pages are overwritten as it is reused
  } finally {
    db.pragma(`busy_timeout = ${timeout}`)
  }
}

/**
 * Accounts in SQLite: who exists, their handle, password hash, sealed signing
 * key and status. Only this file writes the `account` table.
 */
import type { Db } from '../db/open-database.js'

export type AccountStatus = 'active' | 'deactivated' | 'takendown' | 'deleted'

export interface Account {
  did: string
  handle: string
  email: string | null
  passwordHash: string | null
  signingKeyEnc: Buffer
  status: AccountStatus
  createdAt: string
}

interface AccountRow {
  did: string
  handle: string
  email: string | null
  password_hash: string | null
  signing_key_enc: Buffer
  status: AccountStatus
  created_at: string
}

const toAccount = (r: AccountRow | undefined): Account | null =>
  r
    ? {
        did: r.did,
        handle: r.handle,
        email: r.email,
        passwordHash: r.password_hash,
        signingKeyEnc: r.signing_key_enc,
        status: r.status,
        createdAt: r.created_at,
      }
    : null

/** How many accounts are kept in memory (every request reads its caller's and its repo's). */
const CACHE_SIZE = 10_000

export class AccountStore {
  private byDid
  private byEmail
  private didByHandle
  /**
   * Rows read outside transactions, by DID. Every write here drops the entry
   * it touches, so the cache can only hold what the database holds; code that
   * changes the table elsewhere (account removal) must call forget().
   */
  private cache = new Map<string, Account>()

  constructor(private db: Db) {
    this.byDid = db.prepare<[string], AccountRow>('SELECT * FROM account WHERE did = ?')
    this.byEmail = db.prepare<[string], AccountRow>('SELECT * FROM account WHERE email = ?')
    this.didByHandle = db.prepare<[string], { did: string }>('SELECT did FROM account WHERE handle = ?')
  }

  get(did: string): Account | null {
    const hit = this.cache.get(did)
    if (hit) return hit
    const account = toAccount(this.byDid.get(did))
    // Never cache inside a transaction: what it read may yet be rolled back.
    if (account && !this.db.inTransaction) {
      if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!)
      this.cache.set(did, account)
    }
    return account
  }

  getByHandle(handle: string): Account | null {
    const row = this.didByHandle.get(handle.toLowerCase())
    return row ? this.get(row.did) : null
  }

  /** Drops the cached row of `did` (after a change made outside this store). */
  forget(did: string): void {
    this.cache.delete(did)
  }

  /** Finds an account by DID, handle or email, as createSession's identifier allows. */
  lookup(identifier: string): Account | null {
    const id = identifier.trim()
    if (id.startsWith('did:')) return this.get(id)
    if (id.includes('@')) return toAccount(this.byEmail.get(id.toLowerCase()))
    return this.getByHandle(id)
  }

  /** Inserts the row; call inside the transaction that writes the first commit. */
  insert(a: { did: string; handle: string; email: string | null; passwordHash: string | null; signingKeyEnc: Buffer; status?: 'active' | 'deactivated' }): void {
    this.cache.delete(a.did)
    this.db
      .prepare(
        `INSERT INTO account (did, handle, email, password_hash, signing_key_enc, status, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(a.did, a.handle.toLowerCase(), a.email?.toLowerCase() ?? null, a.passwordHash, a.signingKeyEnc, a.status ?? 'active', new Date().toISOString())
  }

  setHandle(did: string, handle: string): void {
    this.cache.delete(did)
    this.db.prepare('UPDATE account SET handle = ? WHERE did = ?').run(handle.toLowerCase(), did)
  }

  setStatus(did: string, status: AccountStatus): void {
    this.cache.delete(did)
    this.db.prepare('UPDATE account SET status = ?, status_changed_at = ? WHERE did = ?').run(status, new Date().toISOString(), did)
  }

  setSigningKey(did: string, sealed: Buffer): void {
    this.cache.delete(did)
    this.db.prepare('UPDATE account SET signing_key_enc = ? WHERE did = ?').run(sealed, did)
  }

  setPasswordHash(did: string, hash: string): void {
    this.cache.delete(did)
    this.db.prepare('UPDATE account SET password_hash = ? WHERE did = ?').run(hash, did)
  }

  /** How many accounts have each status (status, metrics). */
  countByStatus(): { status: AccountStatus; count: number }[] {
    return this.db.prepare('SELECT status, COUNT(*) AS count FROM account GROUP BY status').all() as { status: AccountStatus; count: number }[]
  }

  /** Accounts in DID order, for listRepos. */
  list(limit: number, afterDid?: string): Account[] {
    const rows = afterDid
      ? this.db.prepare<[string, number], AccountRow>('SELECT * FROM account WHERE did > ? ORDER BY did LIMIT ?').all(afterDid, limit)
      : this.db.prepare<[number], AccountRow>('SELECT * FROM account ORDER BY did LIMIT ?').all(limit)
    return rows.map((r) => toAccount(r)!)
  }
}

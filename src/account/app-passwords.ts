/**
 * App passwords: named secondary passwords (xxxx-xxxx-xxxx-xxxx) a person
 * gives to a client instead of their main password. Stored hashed; the
 * plaintext is shown once, at creation.
 */
import crypto from 'node:crypto'
import type { Db } from '../db/open-database.js'
import { hashPassword, verifyPassword } from './password-hash.js'

export interface AppPassword {
  name: string
  privileged: boolean
  createdAt: string
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'

export function generateAppPassword(): string {
  const bytes = crypto.randomBytes(16)
  const chars = Array.from(bytes, (b) => ALPHABET[b % 32])
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join('')).join('-')
}

export const APP_PASSWORD_PATTERN = /^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/

export class AppPasswords {
  // Prepared once: every request of an app-password session checks it.
  private createdAtStmt

  constructor(private db: Db) {
    this.createdAtStmt = db.prepare<[string, string], { created_at: string }>('SELECT created_at FROM app_password WHERE did = ? AND name = ?')
  }

  /** Creates one; the returned password is the only time its plaintext exists. */
  async create(did: string, name: string, privileged: boolean): Promise<AppPassword & { password: string }> {
    const password = generateAppPassword()
    const hash = await hashPassword(password)
    const createdAt = new Date().toISOString()
    const res = this.db
      .prepare(
        `INSERT INTO app_password (did, name, password_hash, privileged, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      )
      .run(did, name, hash, privileged ? 1 : 0, createdAt)
    if (res.changes === 0) throw new DuplicateAppPasswordError(name)
    return { name, password, privileged, createdAt }
  }

  list(did: string): AppPassword[] {
    return (
      this.db
        .prepare('SELECT name, privileged, created_at FROM app_password WHERE did = ? ORDER BY created_at')
        .all(did) as { name: string; privileged: number; created_at: string }[]
    ).map((r) => ({ name: r.name, privileged: r.privileged === 1, createdAt: r.created_at }))
  }

  /** Revokes it and every refresh token issued through it. */
  revoke(did: string, name: string): boolean {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM refresh_token WHERE did = ? AND app_password_name = ?').run(did, name)
      return this.db.prepare('DELETE FROM app_password WHERE did = ? AND name = ?').run(did, name).changes > 0
    })()
  }

  /** The app password `password` matches, if any. */
  async match(did: string, password: string): Promise<AppPassword | null> {
    if (!APP_PASSWORD_PATTERN.test(password)) return null
    const rows = this.db
      .prepare('SELECT name, password_hash, privileged, created_at FROM app_password WHERE did = ?')
      .all(did) as { name: string; password_hash: string; privileged: number; created_at: string }[]
    for (const r of rows) {
      if (await verifyPassword(password, r.password_hash)) {
        return { name: r.name, privileged: r.privileged === 1, createdAt: r.created_at }
      }
    }
    return null
  }

  /**
   * True when an app password of that name exists and was made no later than
   * `issuedAtSec`: a token of a revoked password must not come back to life
   * when a new password takes the same name.
   */
  validFor(did: string, name: string, issuedAtSec: number): boolean {
    const row = this.createdAtStmt.get(did, name)
    return !!row && Math.floor(Date.parse(row.created_at) / 1000) <= issuedAtSec
  }

  exists(did: string, name: string): boolean {
    return this.db.prepare('SELECT 1 FROM app_password WHERE did = ? AND name = ?').get(did, name) !== undefined
  }
}

export class DuplicateAppPasswordError extends Error {
  constructor(name: string) {
    super(`an app password named "${name}" already exists`)
  }
}

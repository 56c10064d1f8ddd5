/**
 * App passwords: named secondary passwords (xxxx-xxxx-xxxx-xxxx) a person
 * gives to a client instead of their main password. Stored hashed; the
 * plaintext is shown once, at creation.
 */
import crypto from 'node:crypto'
import type { Db } from '../db/open-database.js'
import { hashPassword, verifyPassword } from './password-hash.js'

export interface AppPassword {
  /** Its own id: sessions are bound to it, so a new password of the same name is not the old one. */
  id: string
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
  private liveStmt

  constructor(private db: Db) {
    this.liveStmt = db.prepare<[string, string], { 1: number }>('SELECT 1 FROM app_password WHERE did = ? AND id = ?')
  }

  /** Creates one; the returned password is the only time its plaintext exists. */
  async create(did: string, name: string, privileged: boolean): Promise<AppPassword & { password: string }> {
    const password = generateAppPassword()
    const hash = await hashPassword(password)
    const createdAt = new Date().toISOString()
    const id = crypto.randomBytes(16).toString('hex')
    const res = this.db
      .prepare(
        `INSERT INTO app_password (did, id, name, password_hash, privileged, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      )
      .run(did, id, name, hash, privileged ? 1 : 0, createdAt)
    if (res.changes === 0) throw new DuplicateAppPasswordError(name)
    return { id, name, password, privileged, createdAt }
  }

  list(did: string): AppPassword[] {
    return (
      this.db
        .prepare('SELECT id, name, privileged, created_at FROM app_password WHERE did = ? ORDER BY created_at')
        .all(did) as { id: string; name: string; privileged: number; created_at: string }[]
    ).map((r) => ({ id: r.id, name: r.name, privileged: r.privileged === 1, createdAt: r.created_at }))
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
      .prepare('SELECT id, name, password_hash, privileged, created_at FROM app_password WHERE did = ?')
      .all(did) as { id: string; name: string; password_hash: string; privileged: number; created_at: string }[]
    for (const r of rows) {
      if (await verifyPassword(password, r.password_hash)) {
        return { id: r.id, name: r.name, privileged: r.privileged === 1, createdAt: r.created_at }
      }
    }
    return null
  }

  /**
   * True while the app password with this id exists. Bound to the id, not to
   * the name or a creation time: a revoked password's sessions stay dead when
   * a new one takes its name, in the same second or not.
   */
  validFor(did: string, id: string): boolean {
    return this.liveStmt.get(did, id) !== undefined
  }

  /** The live app password with this id. */
  byId(did: string, id: string): AppPassword | null {
    return this.list(did).find((p) => p.id === id) ?? null
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

/**
 * Confirmation codes for signPlcOperation. The reference PDS mails such a
 * code; Hearth's accounts mostly have no email, so the code is made on the
 * signed-in person's "Move your account" page and shown there once. Only a
 * hash is stored; a code lasts 15 minutes and works once.
 */
import crypto from 'node:crypto'
import type { Db } from '../db/open-database.js'

export const PLC_TOKEN_TTL_MS = 15 * 60_000

export type TokenCheck = 'ok' | 'expired' | 'invalid'

const hash = (token: string) => crypto.createHash('sha256').update(token.trim().toUpperCase()).digest('hex')

export class PlcOperationTokens {
  private upsert
  private getRow
  private drop

  constructor(
    db: Db,
    private now: () => number = Date.now,
  ) {
    this.upsert = db.prepare(
      `INSERT INTO plc_operation_token (did, token_hash, expires_at, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (did) DO UPDATE SET token_hash = excluded.token_hash, expires_at = excluded.expires_at, created_at = excluded.created_at`,
    )
    this.getRow = db.prepare<[string], { token_hash: string; expires_at: number }>('SELECT token_hash, expires_at FROM plc_operation_token WHERE did = ?')
    this.drop = db.prepare('DELETE FROM plc_operation_token WHERE did = ? AND token_hash = ?')
  }

  /** A new code for `did` (the previous one stops working), in the reference's XXXXX-XXXXX shape. */
  create(did: string): { token: string; expiresAt: Date } {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
    const bytes = crypto.randomBytes(10)
    const chars = Array.from(bytes, (b) => alphabet[b % 32])
    const token = `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`
    const expiresAt = this.now() + PLC_TOKEN_TTL_MS
    this.upsert.run(did, hash(token), expiresAt, new Date().toISOString())
    return { token, expiresAt: new Date(expiresAt) }
  }

  /** Uses the code up if it is `did`'s live one. */
  consume(did: string, token: string): TokenCheck {
    const row = this.getRow.get(did)
    if (!row) return 'invalid'
    const given = Buffer.from(hash(token), 'hex')
    const stored = Buffer.from(row.token_hash, 'hex')
    if (!crypto.timingSafeEqual(given, stored)) return 'invalid'
    if (row.expires_at <= this.now()) return 'expired'
    return this.drop.run(did, row.token_hash).changes === 1 ? 'ok' : 'invalid'
  }
}

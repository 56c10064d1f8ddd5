/**
 * Invite codes for HEARTH_REGISTRATION=invite: made through the admin path,
 * each good for a number of uses, spent inside the account-creation
 * transaction so two sign-ups cannot share the last use.
 */
import crypto from 'node:crypto'
import type { Db } from '../db/open-database.js'

export interface InviteCode {
  code: string
  availableUses: number
  uses: number
  disabled: boolean
  createdAt: string
}

export class InviteCodes {
  constructor(private db: Db, private hostname: string) {}

  create(uses: number, createdBy = 'admin', forAccount?: string): string {
    const code = `${this.hostname.replace(/[^a-z0-9]/gi, '-')}-${crypto.randomBytes(5).toString('hex')}`
    this.db
      .prepare('INSERT INTO invite_code (code, available_uses, for_account, created_by, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(code, uses, forAccount ?? null, createdBy, new Date().toISOString())
    return code
  }

  list(): InviteCode[] {
    return (
      this.db
        .prepare(
          `SELECT c.code, c.available_uses, c.disabled, c.created_at,
                  (SELECT COUNT(*) FROM invite_code_use u WHERE u.code = c.code) AS uses
           FROM invite_code c ORDER BY c.created_at`,
        )
        .all() as { code: string; available_uses: number; disabled: number; created_at: string; uses: number }[]
    ).map((r) => ({ code: r.code, availableUses: r.available_uses, uses: r.uses, disabled: r.disabled === 1, createdAt: r.created_at }))
  }

  disable(code: string): boolean {
    return this.db.prepare('UPDATE invite_code SET disabled = 1 WHERE code = ?').run(code).changes > 0
  }

  /** True when the code exists, is enabled and has a use left. */
  isUsable(code: string): boolean {
    const row = this.db
      .prepare(
        `SELECT c.available_uses - (SELECT COUNT(*) FROM invite_code_use u WHERE u.code = c.code) AS left, c.disabled
         FROM invite_code c WHERE c.code = ?`,
      )
      .get(code) as { left: number; disabled: number } | undefined
    return !!row && row.disabled === 0 && row.left > 0
  }

  /** Spends one use; call inside the account-creation transaction. */
  use(code: string, did: string): void {
    if (!this.isUsable(code)) throw new InviteUnusableError()
    this.db.prepare('INSERT INTO invite_code_use (code, used_by, used_at) VALUES (?, ?, ?)').run(code, did, new Date().toISOString())
  }
}

export class InviteUnusableError extends Error {
  constructor() {
    super('invite code is unknown, disabled or used up')
  }
}

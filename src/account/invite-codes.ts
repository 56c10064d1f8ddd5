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

/** An invite code as com.atproto.server.defs#inviteCode shows it. */
export interface AccountInviteCode {
  code: string
  /** Uses it was made with (the reference PDS's meaning). */
  available: number
  disabled: boolean
  forAccount: string
  createdBy: string
  createdAt: string
  uses: { usedBy: string; usedAt: string }[]
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

  /** Codes made for one account (`for_account`), each with its uses, oldest first. */
  forAccount(did: string): AccountInviteCode[] {
    const codes = this.db
      .prepare('SELECT code, available_uses, disabled, for_account, created_by, created_at FROM invite_code WHERE for_account = ? ORDER BY created_at')
      .all(did) as { code: string; available_uses: number; disabled: number; for_account: string; created_by: string; created_at: string }[]
    const usesOf = this.db.prepare<[string], { used_by: string; used_at: string }>('SELECT used_by, used_at FROM invite_code_use WHERE code = ? ORDER BY used_at')
    return codes.map((r) => ({
      code: r.code,
      available: r.available_uses,
      disabled: r.disabled === 1,
      forAccount: r.for_account,
      createdBy: r.created_by,
      createdAt: r.created_at,
      uses: usesOf.all(r.code).map((u) => ({ usedBy: u.used_by, usedAt: u.used_at })),
    }))
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

/**
 * The OAuth server's rows (migrations/0006_oauth.sql): pushed requests and
 * their codes, app sessions with their current refresh token, spent
 * refresh tokens, and consents. Secrets (codes, refresh tokens) are kept
 * as SHA-256 only. Every single-use step is one conditional UPDATE or
 * DELETE, so two requests racing with one code or one refresh token
 * cannot both win.
 */
import crypto from 'node:crypto'
import type { Db } from '../db/open-database.js'

export const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('base64url')
export const randomToken = (bytes = 32) => crypto.randomBytes(bytes).toString('base64url')

export interface StoredRequest {
  id: string
  clientId: string
  params: Record<string, string>
  dpopJkt: string | null
  clientAuth: string
  expiresAt: number
  did: string | null
  scope: string | null
  codeExpiresAt: number | null
  codeUsed: boolean
  sessionId: string | null
}

export interface StoredSession {
  id: string
  did: string
  clientId: string
  clientName: string | null
  clientAuth: string
  scope: string
  dpopJkt: string
  refreshExpiresAt: number
  createdAt: number
  lastUsedAt: number
}

const toRequest = (r: any): StoredRequest => ({
  id: r.id,
  clientId: r.client_id,
  params: JSON.parse(r.params),
  dpopJkt: r.dpop_jkt,
  clientAuth: r.client_auth,
  expiresAt: r.expires_at,
  did: r.did,
  scope: r.scope,
  codeExpiresAt: r.code_expires_at,
  codeUsed: r.code_used === 1,
  sessionId: r.session_id,
})

const toSession = (r: any): StoredSession => ({
  id: r.id,
  did: r.did,
  clientId: r.client_id,
  clientName: r.client_name,
  clientAuth: r.client_auth,
  scope: r.scope,
  dpopJkt: r.dpop_jkt,
  refreshExpiresAt: r.refresh_expires_at,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
})

export class OAuthStore {
  private sessionById
  private touch

  constructor(private db: Db) {
    this.sessionById = db.prepare('SELECT * FROM oauth_session WHERE id = ?')
    this.touch = db.prepare('UPDATE oauth_session SET last_used_at = ? WHERE id = ?')
  }

  addRequest(r: { id: string; clientId: string; params: Record<string, string>; dpopJkt: string | null; clientAuth: string; expiresAt: number }): void {
    this.db.prepare('DELETE FROM oauth_request WHERE expires_at < ? AND (code_expires_at IS NULL OR code_expires_at < ?)').run(Date.now() - 3600_000, Date.now() - 3600_000)
    this.db
      .prepare('INSERT INTO oauth_request (id, client_id, params, dpop_jkt, client_auth, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(r.id, r.clientId, JSON.stringify(r.params), r.dpopJkt, r.clientAuth, r.expiresAt)
  }

  request(id: string): StoredRequest | null {
    const row = this.db.prepare('SELECT * FROM oauth_request WHERE id = ?').get(id)
    return row ? toRequest(row) : null
  }

  /** Approves a pending request for `did`: false if it was approved, denied or expired meanwhile. */
  approve(id: string, did: string, scope: string, codeHash: string, codeExpiresAt: number): boolean {
    return (
      this.db
        .prepare('UPDATE oauth_request SET did = ?, scope = ?, code_hash = ?, code_expires_at = ? WHERE id = ? AND code_hash IS NULL AND expires_at >= ?')
        .run(did, scope, codeHash, codeExpiresAt, id, Date.now()).changes === 1
    )
  }

  deleteRequest(id: string): void {
    this.db.prepare('DELETE FROM oauth_request WHERE id = ?').run(id)
  }

  requestByCode(codeHash: string): StoredRequest | null {
    const row = this.db.prepare('SELECT * FROM oauth_request WHERE code_hash = ?').get(codeHash)
    return row ? toRequest(row) : null
  }

  /** Spends a code; false when it was spent before. */
  spendCode(id: string): boolean {
    return this.db.prepare('UPDATE oauth_request SET code_used = 1 WHERE id = ? AND code_used = 0').run(id).changes === 1
  }

  linkSession(requestId: string, sessionId: string): void {
    this.db.prepare('UPDATE oauth_request SET session_id = ? WHERE id = ?').run(sessionId, requestId)
  }

  createSession(s: Omit<StoredSession, 'lastUsedAt'> & { refreshHash: string }): void {
    this.db
      .prepare(
        `INSERT INTO oauth_session (id, did, client_id, client_name, client_auth, scope, dpop_jkt, refresh_hash, refresh_expires_at, created_at, last_used_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(s.id, s.did, s.clientId, s.clientName, s.clientAuth, s.scope, s.dpopJkt, s.refreshHash, s.refreshExpiresAt, s.createdAt, s.createdAt)
  }

  session(id: string): StoredSession | null {
    const row = this.sessionById.get(id)
    return row ? toSession(row) : null
  }

  sessionByRefresh(hash: string): StoredSession | null {
    const row = this.db.prepare('SELECT * FROM oauth_session WHERE refresh_hash = ?').get(hash)
    return row ? toSession(row) : null
  }

  /** The session a rotated-away refresh token belonged to, if it is one. */
  spentRefreshSession(hash: string): string | null {
    const row = this.db.prepare('SELECT session_id FROM oauth_spent_refresh WHERE hash = ?').get(hash) as { session_id: string } | undefined
    return row?.session_id ?? null
  }

  /** Swaps the refresh token: false when `oldHash` was not the current one (a race or a replay). */
  rotateRefresh(sessionId: string, oldHash: string, newHash: string, expiresAt: number): boolean {
    return this.db.transaction(() => {
      const changed = this.db
        .prepare('UPDATE oauth_session SET refresh_hash = ?, refresh_expires_at = ?, last_used_at = ? WHERE id = ? AND refresh_hash = ?')
        .run(newHash, expiresAt, Date.now(), sessionId, oldHash).changes
      if (changed !== 1) return false
      this.db.prepare('INSERT OR IGNORE INTO oauth_spent_refresh (hash, session_id, spent_at) VALUES (?, ?, ?)').run(oldHash, sessionId, Date.now())
      return true
    })()
  }

  touchSession(id: string, at: number): void {
    this.touch.run(at, id)
  }

  sessionsOf(did: string): StoredSession[] {
    return this.db.prepare('SELECT * FROM oauth_session WHERE did = ? ORDER BY created_at DESC').all(did).map(toSession)
  }

  /** Ends a session and forgets its consent, so the app must ask again. */
  revokeSession(id: string, did?: string): StoredSession | null {
    return this.db.transaction(() => {
      const s = this.session(id)
      if (!s || (did !== undefined && s.did !== did)) return null
      this.db.prepare('DELETE FROM oauth_session WHERE id = ?').run(id)
      this.db.prepare('DELETE FROM oauth_spent_refresh WHERE session_id = ?').run(id)
      this.db.prepare('DELETE FROM oauth_consent WHERE did = ? AND client_id = ?').run(s.did, s.clientId)
      return s
    })()
  }

  revokeAllOf(did: string): string[] {
    const ids = this.sessionsOf(did).map((s) => s.id)
    for (const id of ids) this.revokeSession(id)
    this.db.prepare('DELETE FROM oauth_consent WHERE did = ?').run(did)
    return ids
  }

  consent(did: string, clientId: string): string | null {
    const row = this.db.prepare('SELECT scope FROM oauth_consent WHERE did = ? AND client_id = ?').get(did, clientId) as { scope: string } | undefined
    return row?.scope ?? null
  }

  saveConsent(did: string, clientId: string, scope: string): void {
    this.db
      .prepare('INSERT INTO oauth_consent (did, client_id, scope, granted_at) VALUES (?, ?, ?, ?) ON CONFLICT (did, client_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at')
      .run(did, clientId, scope, Date.now())
  }
}

/**
 * Web-page sessions in SQLite. The browser holds a random token in a cookie;
 * the table keeps only its SHA-256, plus a separate public id by which the
 * person lists and revokes sessions. Sessions end at a fixed expiry.
 *
 * @example
 * const { token } = sessions.create(did, 'github', userAgent)
 * sessions.find(token)?.did // → did
 */
import crypto from 'node:crypto'
import type { Db } from '../db/open-database.js'

export interface WebSession {
  /** Public name of the session (safe to show and to put in forms). */
  id: string
  did: string
  /** How the session was started: 'github', 'google' or 'password'. */
  via: string
  userAgent: string | null
  createdAt: number
  lastSeenAt: number
  expiresAt: number
}

interface Row {
  id: string
  did: string
  via: string
  user_agent: string | null
  created_at: number
  last_seen_at: number
  expires_at: number
}

const toSession = (r: Row): WebSession => ({
  id: r.id,
  did: r.did,
  via: r.via,
  userAgent: r.user_agent,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
  expiresAt: r.expires_at,
})

// last_seen_at is refreshed at most this often, so page views rarely write.
const TOUCH_EVERY_MS = 60 * 1000

export class WebSessionStore {
  constructor(
    private db: Db,
    private ttlSec: number,
  ) {}

  /** Starts a session; the returned token goes into the cookie and nowhere else. */
  create(did: string, via: string, userAgent: string | null): { token: string; session: WebSession } {
    const token = crypto.randomBytes(32).toString('base64url')
    const now = Date.now()
    const row: Row = {
      id: crypto.randomBytes(12).toString('base64url'),
      did,
      via,
      user_agent: userAgent ? userAgent.slice(0, 300) : null,
      created_at: now,
      last_seen_at: now,
      expires_at: now + this.ttlSec * 1000,
    }
    this.db.prepare('DELETE FROM web_session WHERE expires_at < ?').run(now)
    this.db
      .prepare(
        `INSERT INTO web_session (id, token_hash, did, via, user_agent, created_at, last_seen_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(row.id, hashSessionToken(token), did, via, row.user_agent, now, now, row.expires_at)
    return { token, session: toSession(row) }
  }

  /** The live session a cookie token names, or null. */
  find(token: string): WebSession | null {
    const row = this.db.prepare<[string], Row>('SELECT * FROM web_session WHERE token_hash = ?').get(hashSessionToken(token))
    const now = Date.now()
    if (!row || row.expires_at <= now) return null
    if (now - row.last_seen_at > TOUCH_EVERY_MS) {
      this.db.prepare('UPDATE web_session SET last_seen_at = ? WHERE id = ?').run(now, row.id)
      row.last_seen_at = now
    }
    return toSession(row)
  }

  /** The account's live sessions, newest first. */
  list(did: string): WebSession[] {
    return this.db
      .prepare<[string, number], Row>('SELECT * FROM web_session WHERE did = ? AND expires_at > ? ORDER BY created_at DESC')
      .all(did, Date.now())
      .map(toSession)
  }

  /** Ends one of the account's sessions; false when it has no such session. */
  revoke(did: string, id: string): boolean {
    return this.db.prepare('DELETE FROM web_session WHERE did = ? AND id = ?').run(did, id).changes > 0
  }

  /** Ends every session of the account. */
  revokeAll(did: string): number {
    return this.db.prepare('DELETE FROM web_session WHERE did = ?').run(did).changes
  }
}

function hashSessionToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('base64url')
}

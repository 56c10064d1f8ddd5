/**
 * Sign-ins in flight, kept server-side: each `state` sent to a provider is a
 * row naming the browser that started it (by a cookie's hash), Google's PKCE
 * verifier and nonce, and the account being linked if any. A state is
 * accepted once: consuming deletes the row in the same statement that reads
 * it, so two callbacks racing with one state cannot both succeed.
 *
 * @example
 * const state = states.create({ provider: 'github', browserToken })
 * // …the provider redirects back with ?state=…
 * const pending = states.consume(state, 'github', browserTokenFromCookie)
 */
import crypto from 'node:crypto'
import type { Db } from '../../db/open-database.js'
import { SignInError } from './sign-in-error.js'
import type { ProviderId } from './sign-in-provider.js'

export interface PendingSignIn {
  provider: ProviderId
  codeVerifier: string | null
  nonce: string | null
  /** Set when a signed-in person is linking this provider to their account. */
  linkDid: string | null
}

interface StateRow {
  state: string
  provider: ProviderId
  browser_hash: string
  code_verifier: string | null
  nonce: string | null
  link_did: string | null
  expires_at: number
}

// Expired rows are kept a while so a late callback is told "expired" rather
// than "unknown"; after that they are swept.
const KEEP_EXPIRED_MS = 60 * 60 * 1000

export class OAuthStateStore {
  constructor(
    private db: Db,
    private ttlSec: number,
  ) {}

  /** Records a new attempt and returns its state (a 256-bit random string). */
  create(opts: {
    provider: ProviderId
    browserToken: string
    codeVerifier?: string
    nonce?: string
    linkDid?: string
  }): string {
    const state = crypto.randomBytes(32).toString('base64url')
    const now = Date.now()
    this.db.prepare('DELETE FROM oauth_state WHERE expires_at < ?').run(now - KEEP_EXPIRED_MS)
    this.db
      .prepare(
        `INSERT INTO oauth_state (state, provider, browser_hash, code_verifier, nonce, link_did, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(state, opts.provider, hashToken(opts.browserToken), opts.codeVerifier ?? null, opts.nonce ?? null, opts.linkDid ?? null, now + this.ttlSec * 1000)
    return state
  }

  /**
   * Spends a state. Throws SignInError when it is unknown or used, expired,
   * for another provider, or was issued to another browser; the row is gone
   * afterwards in every case, so nothing can retry it.
   */
  consume(state: string, provider: ProviderId, browserToken: string | undefined): PendingSignIn {
    const row = this.db.prepare<[string], StateRow>('DELETE FROM oauth_state WHERE state = ? RETURNING *').get(state)
    if (!row) {
      throw new SignInError('unknown-state', 'This sign-in link is not one this server issued, or it was already used. Start the sign-in again.')
    }
    if (row.expires_at <= Date.now()) {
      throw new SignInError('expired', 'This sign-in took too long and expired. Start it again.')
    }
    if (row.provider !== provider || !browserToken || !sameHash(row.browser_hash, hashToken(browserToken))) {
      throw new SignInError(
        'other-browser',
        'This sign-in was started in another browser or tab, or your browser dropped its cookie. Start it again from this browser.',
      )
    }
    return { provider: row.provider, codeVerifier: row.code_verifier, nonce: row.nonce, linkDid: row.link_did }
  }
}

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('base64url')
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && crypto.timingSafeEqual(x, y)
}

/**
 * Access and refresh JWTs for a person's clients (createSession and
 * friends), HS256 under the server's JWT secret. Refresh tokens are
 * single-use and tracked in `refresh_token`, so deleteSession and revoking an
 * app password end them at once.
 */
import crypto from 'node:crypto'
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose'
import type { Db } from '../db/open-database.js'
import { HearthError } from '../errors/hearth-error.js'

export type AccessScope = 'com.atproto.access' | 'com.atproto.appPass' | 'com.atproto.appPassPrivileged'

export interface AccessClaims {
  did: string
  scope: AccessScope
  /** Name of the app password the session was made with, if any. */
  appPassword: string | null
  /** Its id (tokens from before ids existed have none). */
  appPasswordId: string | null
  /** When the token was issued (seconds): an app password made after it is not the one it was issued for. */
  issuedAt: number
}

export interface RefreshClaims {
  did: string
  jti: string
  appPassword: string | null
  appPasswordId: string | null
}

const ACCESS_TYP = 'at+jwt'
const REFRESH_TYP = 'refresh+jwt'

const VERIFIED_CACHE_SIZE = 10_000

export class SessionTokens {
  private verifiedAccess = new Map<string, { claims: AccessClaims; exp: number }>()

  constructor(
    private db: Db,
    private secret: Uint8Array,
    private serviceDid: string,
    private accessTtlSec: number,
    private refreshTtlSec: number,
  ) {}

  async issue(did: string, appPassword: { id: string; name: string; privileged: boolean } | null) {
    const scope: AccessScope = !appPassword
      ? 'com.atproto.access'
      : appPassword.privileged
        ? 'com.atproto.appPassPrivileged'
        : 'com.atproto.appPass'
    const now = Math.floor(Date.now() / 1000)
    const accessJwt = await new SignJWT({ scope, ...(appPassword ? { app: appPassword.name, apid: appPassword.id } : {}) })
      .setProtectedHeader({ alg: 'HS256', typ: ACCESS_TYP })
      .setSubject(did)
      .setAudience(this.serviceDid)
      .setIssuedAt(now)
      .setExpirationTime(now + this.accessTtlSec)
      .sign(this.secret)
    const jti = crypto.randomBytes(24).toString('base64url')
    const expiresAt = now + this.refreshTtlSec
    const refreshJwt = await new SignJWT({ scope: 'com.atproto.refresh', ...(appPassword ? { app: appPassword.name, apid: appPassword.id } : {}) })
      .setProtectedHeader({ alg: 'HS256', typ: REFRESH_TYP })
      .setSubject(did)
      .setAudience(this.serviceDid)
      .setJti(jti)
      .setIssuedAt(now)
      .setExpirationTime(expiresAt)
      .sign(this.secret)
    this.db
      .prepare('INSERT INTO refresh_token (id, did, app_password_name, app_password_id, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(jti, did, appPassword?.name ?? null, appPassword?.id ?? null, expiresAt)
    return { accessJwt, refreshJwt }
  }

  async verifyAccess(token: string): Promise<AccessClaims> {
    // A token's signature, once checked, stays good until it expires: keep the
    // result, so a client's every request does not pay jose's WebCrypto HMAC
    // (a tenth of a write's CPU). Revocation is checked per request by the caller.
    const hit = this.verifiedAccess.get(token)
    if (hit) {
      if (hit.exp * 1000 <= Date.now()) {
        this.verifiedAccess.delete(token)
        throw new HearthError('invalid', 'ExpiredToken', 'Token has expired')
      }
      return hit.claims
    }
    const claims = await this.verifyAccessUncached(token)
    return claims
  }

  private async verifyAccessUncached(token: string): Promise<AccessClaims> {
    const payload = await this.verify(token, ACCESS_TYP)
    const scope = payload.scope as AccessScope
    if (!['com.atproto.access', 'com.atproto.appPass', 'com.atproto.appPassPrivileged'].includes(scope)) {
      throw new HearthError('unauthenticated', 'InvalidToken', 'Token is not an access token')
    }
    const claims: AccessClaims = {
      did: payload.sub!,
      scope,
      appPassword: typeof payload.app === 'string' ? payload.app : null,
      appPasswordId: typeof payload.apid === 'string' ? payload.apid : null,
      issuedAt: payload.iat ?? 0,
    }
    if (this.verifiedAccess.size >= VERIFIED_CACHE_SIZE) this.verifiedAccess.delete(this.verifiedAccess.keys().next().value!)
    this.verifiedAccess.set(token, { claims, exp: payload.exp! })
    return claims
  }

  async verifyRefresh(token: string): Promise<RefreshClaims> {
    const payload = await this.verify(token, REFRESH_TYP)
    if (payload.scope !== 'com.atproto.refresh' || !payload.jti) {
      throw new HearthError('unauthenticated', 'InvalidToken', 'Token is not a refresh token')
    }
    const row = this.db.prepare('SELECT 1 FROM refresh_token WHERE id = ?').get(payload.jti)
    if (!row) throw new HearthError('unauthenticated', 'ExpiredToken', 'Refresh token has been revoked or already used')
    return {
      did: payload.sub!,
      jti: payload.jti,
      appPassword: typeof payload.app === 'string' ? payload.app : null,
      appPasswordId: typeof payload.apid === 'string' ? payload.apid : null,
    }
  }

  /** Spends a refresh token; false when it was already spent (a race or a replay). */
  consumeRefresh(jti: string): boolean {
    return this.db.prepare('DELETE FROM refresh_token WHERE id = ?').run(jti).changes > 0
  }

  revokeAll(did: string): void {
    this.db.prepare('DELETE FROM refresh_token WHERE did = ?').run(did)
  }

  pruneExpired(): void {
    this.db.prepare('DELETE FROM refresh_token WHERE expires_at < ?').run(Math.floor(Date.now() / 1000))
  }

  private async verify(token: string, typ: string) {
    try {
      const { payload } = await jwtVerify(token, this.secret, {
        algorithms: ['HS256'],
        audience: this.serviceDid,
        typ,
      })
      if (typeof payload.sub !== 'string' || !payload.sub.startsWith('did:')) {
        throw new HearthError('unauthenticated', 'InvalidToken', 'Token has no subject')
      }
      return payload
    } catch (err) {
      if (err instanceof HearthError) throw err
      if (err instanceof joseErrors.JWTExpired) throw new HearthError('invalid', 'ExpiredToken', 'Token has expired')
      throw new HearthError('unauthenticated', 'InvalidToken', 'Token could not be verified')
    }
  }
}

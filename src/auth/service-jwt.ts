/**
 * Inter-service JWTs: how an app proves who it is to Hearth. The app signs
 * a short JWT with the key in its DID document (`#atproto` verification
 * method); Hearth checks, in this order:
 *
 * - the shape: three base64url parts, `alg` ES256K or ES256, no `typ` other
 *   than JWT (a session token, refresh token or DPoP proof is never one);
 * - `exp` not past, and at most 5 minutes ahead (a long-lived token is a
 *   stolen token waiting to happen); `nbf`/`iat` not in the future;
 * - `aud` is this server's DID (what describeServer reports);
 * - `lxm` is the method being called;
 * - `iss` is a DID, and the signature verifies against its atproto key
 *   (strict: compact, low-S), resolved with a fresh lookup if a cached key
 *   fails (the app may have rotated it) — at most once per issuer per
 *   KEY_REFRESH_MS, so a stream of forged tokens cannot turn into a stream
 *   of DID-document fetches; a did:web host is compared and fetched in lower
 *   case (hosts are case-insensitive);
 * - `jti` has not been accepted before: it is remembered until `exp`.
 *
 * Every refusal is a 401 with a name saying which check failed.
 *
 * @example
 * const claims = await verifier.verify(token, 'dev.hearth.scope.listRecords')
 * claims.iss // the app's DID
 */
import { verifySignature } from '@atproto/crypto'
import type { IdResolver } from '@atproto/identity'
import { ensureValidDid } from '@atproto/syntax'
import type { Db } from '../db/open-database.js'
import { XrpcError } from '../xrpc/xrpc-error.js'

export interface ServiceJwtClaims {
  iss: string
  aud: string
  lxm: string
  exp: number
  jti: string
  iat?: number
}

/** The longest a token may live from now. */
export const MAX_SERVICE_JWT_LIFETIME_SEC = 300
/** Clocks differ a little between servers: allowed drift for "not in the future" checks. */
const CLOCK_SKEW_SEC = 5
const ALGS = new Set(['ES256K', 'ES256'])
/** How long a resolved signing key is trusted before the DID document is read again. */
const KEY_CACHE_MS = 5 * 60_000
const KEY_CACHE_SIZE = 1000
/** Least time between two forced re-reads of one issuer's DID document. */
export const KEY_REFRESH_MS = 60_000

const refuse = (error: string, message: string) => new XrpcError(401, error, message)

export interface ServiceJwtVerifierDeps {
  db: Db
  idResolver: IdResolver
  /** This server's DID: the only accepted `aud`. */
  serviceDid: string
  /** Seconds since the epoch (tests move the clock). */
  nowSec?: () => number
}

export class ServiceJwtVerifier {
  private used: UsedTokenIds
  private keys = new Map<string, { key: string; at: number }>()
  /** When each issuer's key was last re-read because a cached one failed. */
  private forcedAt = new Map<string, number>()
  private nowSec: () => number

  constructor(private deps: ServiceJwtVerifierDeps) {
    this.used = new UsedTokenIds(deps.db)
    this.nowSec = deps.nowSec ?? (() => Math.floor(Date.now() / 1000))
  }

  /** Checks `token` for a call of `lxm`; returns its claims or throws a 401 XrpcError. */
  async verify(token: string | null | undefined, lxm: string): Promise<ServiceJwtClaims> {
    if (!token) throw refuse('AuthenticationRequired', `${lxm} needs an inter-service JWT (Authorization: Bearer <jwt>) signed by the app's DID key`)
    const parts = token.split('.')
    if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) throw refuse('BadJwt', 'The token is not a JWT')
    const header = decodePart(parts[0])
    const payload = decodePart(parts[1])
    if (!header || typeof header.alg !== 'string') throw refuse('BadJwt', 'The token has no valid header')
    if (!ALGS.has(header.alg)) throw refuse('BadJwt', `Inter-service JWTs are signed with ES256K or ES256, not ${String(header.alg).slice(0, 20)}`)
    if (header.typ !== undefined && header.typ !== 'JWT') throw refuse('BadJwtType', `A token of type ${String(header.typ).slice(0, 20)} is not an inter-service JWT`)
    const claims = readClaims(payload)

    const now = this.nowSec()
    if (claims.exp <= now) throw refuse('JwtExpired', 'The token has expired')
    if (claims.exp > now + MAX_SERVICE_JWT_LIFETIME_SEC + CLOCK_SKEW_SEC) {
      throw refuse('BadJwtLifetime', `The token's exp is more than ${MAX_SERVICE_JWT_LIFETIME_SEC} seconds ahead: make short-lived tokens`)
    }
    if (typeof payload!.nbf === 'number' && payload!.nbf > now + CLOCK_SKEW_SEC) throw refuse('BadJwt', 'The token is not valid yet (nbf)')
    if (claims.iat !== undefined && claims.iat > now + CLOCK_SKEW_SEC) throw refuse('BadJwt', 'The token was issued in the future (iat)')
    if (claims.aud !== this.deps.serviceDid) {
      throw refuse('BadJwtAudience', `The token's aud must be this server's DID, ${this.deps.serviceDid}`)
    }
    if (claims.lxm !== lxm) throw refuse('BadJwtLexiconMethod', `The token's lxm must be ${lxm}`)

    const message = Buffer.from(`${parts[0]}.${parts[1]}`, 'utf8')
    const signature = Buffer.from(parts[2], 'base64url')
    if (!(await this.signatureValid(claims.iss, header.alg, message, signature))) {
      throw refuse('BadJwtSignature', `The token's signature does not match the atproto key of ${claims.iss}`)
    }
    // Last, so that a forged token can never use up someone else's jti.
    if (!this.used.claim(claims.iss, claims.jti, claims.exp, now)) throw refuse('JwtReplayed', 'This token was already used: make a new one for each call')
    return claims
  }

  private async signatureValid(rawIss: string, alg: string, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    const iss = canonicalDid(rawIss)
    const cached = this.keys.get(iss)
    const fresh = !cached || Date.now() - cached.at > KEY_CACHE_MS
    const key = fresh ? await this.resolveKey(iss, false) : cached.key
    if (await checkSignature(key, alg, message, signature)) return true
    if (fresh) return false
    // The app may have rotated its key since we cached it: look once more,
    // unless this issuer's document was re-read a moment ago.
    const last = this.forcedAt.get(iss)
    if (last !== undefined && Date.now() - last < KEY_REFRESH_MS) return false
    if (this.forcedAt.size >= KEY_CACHE_SIZE) this.forcedAt.delete(this.forcedAt.keys().next().value!)
    this.forcedAt.delete(iss)
    this.forcedAt.set(iss, Date.now())
    const current = await this.resolveKey(iss, true)
    return current !== key && (await checkSignature(current, alg, message, signature))
  }

  private async resolveKey(iss: string, forceRefresh: boolean): Promise<string> {
    let key: string
    try {
      key = await this.deps.idResolver.did.resolveAtprotoKey(iss, forceRefresh)
    } catch (err) {
      throw refuse('BadJwtSignature', `Could not find the atproto key of ${iss}: ${(err as Error).message.slice(0, 200)}`)
    }
    if (this.keys.size >= KEY_CACHE_SIZE) this.keys.delete(this.keys.keys().next().value!)
    this.keys.set(iss, { key, at: Date.now() })
    return key
  }
}

/**
 * One spelling per DID: a did:web host is case-insensitive (`did:web:Example.COM`
 * is `did:web:example.com`), so it is cached and fetched once, in lower case,
 * and its document (whose id is in lower case) matches. Paths after the host
 * and every other method stay as given.
 */
export function canonicalDid(did: string): string {
  if (!did.startsWith('did:web:')) return did
  const rest = did.slice('did:web:'.length)
  const colon = rest.indexOf(':')
  const host = colon === -1 ? rest : rest.slice(0, colon)
  // Percent escapes (the port's `%3A`) keep their usual upper case.
  const lower = host.toLowerCase().replace(/%[0-9a-f]{2}/g, (esc) => esc.toUpperCase())
  return `did:web:${lower}${colon === -1 ? '' : rest.slice(colon)}`
}

/** True when `token` claims to be an inter-service JWT (asymmetric alg), as opposed to a session token. */
export function isServiceJwt(token: string): boolean {
  const header = decodePart(token.split('.')[0] ?? '')
  return typeof header?.alg === 'string' && ALGS.has(header.alg)
}

async function checkSignature(key: string, alg: string, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  try {
    // Strict: compact 64-byte signatures with low S only (the default of verifySignature).
    return await verifySignature(key, message, signature, { jwtAlg: alg })
  } catch {
    return false // e.g. the key is P-256 and the token says ES256K
  }
}

function decodePart(part: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
    return value && typeof value === 'object' && !Array.isArray(value) ? value : null
  } catch {
    return null
  }
}

function readClaims(payload: Record<string, unknown> | null): ServiceJwtClaims {
  if (!payload) throw refuse('BadJwt', 'The token has no valid payload')
  const { iss, aud, lxm, exp, jti, iat } = payload
  if (typeof iss !== 'string') throw refuse('BadJwtIss', 'The token has no iss')
  try {
    ensureValidDid(iss)
  } catch {
    throw refuse('BadJwtIss', "The token's iss is not a DID")
  }
  if (typeof aud !== 'string') throw refuse('BadJwtAudience', 'The token has no aud')
  if (typeof lxm !== 'string') throw refuse('BadJwtLexiconMethod', 'The token has no lxm (the method it is for)')
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw refuse('BadJwt', 'The token has no exp')
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw refuse('BadJwt', 'The token needs a jti (a unique id, at most 256 characters)')
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) throw refuse('BadJwt', 'The token has an invalid iat')
  return { iss, aud, lxm, exp, jti, ...(iat !== undefined ? { iat: iat as number } : {}) }
}

/** Token ids already accepted, per issuer, kept until the token's expiry. */
class UsedTokenIds {
  private insert
  private prune
  private claims = 0

  constructor(db: Db) {
    this.insert = db.prepare('INSERT OR IGNORE INTO service_jwt_use (iss, jti, expires_at) VALUES (?, ?, ?)')
    this.prune = db.prepare('DELETE FROM service_jwt_use WHERE expires_at < ?')
  }

  /** Records (iss, jti); false when it was there already. */
  claim(iss: string, jti: string, exp: number, nowSec: number): boolean {
    if (++this.claims % 500 === 0) this.prune.run(nowSec)
    return this.insert.run(iss, jti, Math.ceil(exp)).changes === 1
  }
}

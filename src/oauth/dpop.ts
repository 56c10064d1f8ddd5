/**
 * DPoP (RFC 9449): the proofs a client signs with its own key for each
 * request, and the server nonces it must put in them. Hearth requires a
 * nonce in every proof, so a proof cannot be made ahead of time; nonces
 * are an HMAC of a 60-second counter under a key derived from the server's
 * secret, so any process with the secret agrees on them and nothing is
 * stored. A proof is taken once: its `jti` (with its key) is remembered
 * for as long as its `iat` could still pass, in SQLite so that a restart
 * forgets none (src/oauth/dpop-jti-store.ts).
 *
 * Checked by hand here (with jose for the signature and thumbprint) because
 * no library checks a DPoP proof as a server; each check is RFC 9449 §4.3.
 *
 * @example
 * const { jkt } = await dpop.verify(req.header('dpop'), 'POST', 'https://pds.example/oauth/token')
 */
import crypto from 'node:crypto'
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify, type CryptoKey, type JWK } from 'jose'
import { OAuthError } from './oauth-error.js'

const NONCE_STEP_MS = 60_000
/** A proof older than this is stale. */
export const DPOP_MAX_AGE_SEC = 60
const FUTURE_SKEW_SEC = 10

/** Where taken proofs are remembered. */
export interface JtiMemory {
  claim(key: string, expiresAt: number): boolean
}

export interface DpopProof {
  jkt: string
  jti: string
}

const KEY_CACHE_SIZE = 10_000

export class DpopVerifier {
  private key: Buffer
  /** A client signs every request with the same key: import it and hash its thumbprint once. */
  private keys = new Map<string, { key: CryptoKey; jkt: string }>()

  constructor(
    secret: Uint8Array,
    private jtis: JtiMemory,
    private nowMs: () => number = Date.now,
  ) {
    this.key = Buffer.from(crypto.hkdfSync('sha256', secret, Buffer.alloc(0), 'hearth dpop nonce v1', 32))
  }

  /** The nonce to hand out now (in `DPoP-Nonce`). */
  nonce(): string {
    return this.nonceFor(Math.floor(this.nowMs() / NONCE_STEP_MS))
  }

  private nonceFor(counter: number): string {
    return crypto.createHmac('sha256', this.key).update(String(counter)).digest().subarray(0, 16).toString('base64url')
  }

  private nonceValid(nonce: unknown): boolean {
    if (typeof nonce !== 'string') return false
    const counter = Math.floor(this.nowMs() / NONCE_STEP_MS)
    return [counter, counter - 1, counter + 1].some((c) => this.nonceFor(c) === nonce)
  }

  /**
   * Checks a proof for `htm` `htu`; `accessToken` when it comes with one (`ath`).
   * Throws OAuthError `invalid_dpop_proof` or `use_dpop_nonce` (status 400;
   * the resource server turns them into 401s).
   */
  async verify(proof: string | null | undefined, htm: string, htu: string, accessToken?: string): Promise<DpopProof> {
    if (!proof) throw new OAuthError(400, 'invalid_dpop_proof', 'A DPoP proof is required (the DPoP header)')
    let header
    try {
      header = decodeProtectedHeader(proof)
    } catch {
      throw new OAuthError(400, 'invalid_dpop_proof', 'The DPoP proof is not a JWT')
    }
    const jwk = header.jwk as JWK | undefined
    if (!jwk || typeof jwk !== 'object' || 'd' in jwk) throw new OAuthError(400, 'invalid_dpop_proof', 'The DPoP proof must carry its public key (jwk) and no private part')
    let payload
    let jkt: string
    try {
      const known = await this.publicKey(jwk)
      jkt = known.jkt
      ;({ payload } = await jwtVerify(proof, known.key, { typ: 'dpop+jwt', algorithms: ['ES256'], clockTolerance: FUTURE_SKEW_SEC }))
    } catch (err) {
      throw new OAuthError(400, 'invalid_dpop_proof', `The DPoP proof does not verify (${(err as Error).message.slice(0, 120)}); it must be an ES256 dpop+jwt`)
    }
    const now = Math.floor(this.nowMs() / 1000)
    if (typeof payload.iat !== 'number') throw new OAuthError(400, 'invalid_dpop_proof', 'The DPoP proof has no iat')
    if (payload.iat < now - DPOP_MAX_AGE_SEC || payload.iat > now + FUTURE_SKEW_SEC) {
      throw new OAuthError(400, 'invalid_dpop_proof', `The DPoP proof's iat is not within ${DPOP_MAX_AGE_SEC} seconds of now: make a fresh proof`)
    }
    if (payload.htm !== htm) throw new OAuthError(400, 'invalid_dpop_proof', `The DPoP proof's htm must be ${htm}`)
    if (typeof payload.htu !== 'string' || normalizeHtu(payload.htu) !== normalizeHtu(htu)) {
      throw new OAuthError(400, 'invalid_dpop_proof', `The DPoP proof's htu must be ${normalizeHtu(htu)}`)
    }
    if (accessToken !== undefined) {
      const ath = crypto.createHash('sha256').update(accessToken).digest('base64url')
      if (payload.ath !== ath) throw new OAuthError(400, 'invalid_dpop_proof', "The DPoP proof's ath does not match the access token")
    }
    if (!this.nonceValid(payload.nonce)) {
      const nonce = this.nonce()
      throw new OAuthError(400, 'use_dpop_nonce', 'Authorization server requires nonce in DPoP proof', { 'DPoP-Nonce': nonce })
    }
    if (typeof payload.jti !== 'string' || payload.jti.length < 8 || payload.jti.length > 256) {
      throw new OAuthError(400, 'invalid_dpop_proof', 'The DPoP proof needs a unique jti')
    }
    // Last, so a proof refused for another reason does not spend its jti.
    if (!this.jtis.claim(`${jkt} ${payload.jti}`, (payload.iat + DPOP_MAX_AGE_SEC + FUTURE_SKEW_SEC) * 1000)) throw new OAuthError(400, 'invalid_dpop_proof', 'This DPoP proof was already used: make a new one for each request')
    return { jkt, jti: payload.jti }
  }

  private async publicKey(jwk: JWK): Promise<{ key: CryptoKey; jkt: string }> {
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') throw new Error('the jwk must be a P-256 public key')
    const id = `${jwk.x}.${jwk.y}`
    const hit = this.keys.get(id)
    if (hit) return hit
    const entry = { key: (await importJWK({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, 'ES256')) as CryptoKey, jkt: await calculateJwkThumbprint(jwk, 'sha256') }
    if (this.keys.size >= KEY_CACHE_SIZE) this.keys.delete(this.keys.keys().next().value!)
    this.keys.set(id, entry)
    return entry
  }
}

/** htu is compared without query and fragment (RFC 9449 §4.3). */
export function normalizeHtu(url: string): string {
  try {
    const u = new URL(url)
    return `${u.origin}${u.pathname}`
  } catch {
    return url
  }
}

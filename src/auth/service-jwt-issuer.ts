/**
 * Inter-service JWTs minted by Hearth for its own accounts: what the account
 * shows another service (an AppView, a chat service, another PDS) to prove
 * that a call is made on its behalf. Signed with the account's repo signing
 * key (ES256K), the key its DID document names as `#atproto`, so the
 * receiving service verifies it against the account's DID document.
 *
 * Written here rather than taken from @atproto/xrpc-server's createServiceJwt:
 * that package is a whole Express server framework Hearth does not run, and
 * the token is a dozen lines on top of @atproto/crypto's keypair.
 *
 * @example
 * const token = await issuer.issue({ iss: did, aud: 'did:web:api.bsky.app#bsky_appview', lxm: 'app.bsky.feed.getTimeline' })
 */
import crypto from 'node:crypto'
import type { Keypair } from '@atproto/crypto'

/** What a token lives when the caller names no `exp`: long enough for one call, short enough to be worthless if it leaks. */
export const DEFAULT_SERVICE_JWT_LIFETIME_SEC = 60

export interface ServiceJwtRequest {
  /** The account the call is made for. */
  iss: string
  /** The service it is for: a DID, optionally with its `#service-id`. */
  aud: string
  /** The one method it may be used for; omitted means any method (getServiceAuth allows that for a minute only). */
  lxm?: string | null
  /** Expiry, seconds since the epoch; default now + 60 s. */
  exp?: number
}

export class ServiceJwtIssuer {
  constructor(private keypairOf: (did: string) => Promise<Keypair>) {}

  async issue(req: ServiceJwtRequest): Promise<string> {
    const keypair = await this.keypairOf(req.iss)
    const iat = Math.floor(Date.now() / 1000)
    const payload: Record<string, unknown> = {
      iat,
      iss: req.iss,
      aud: req.aud,
      exp: req.exp ?? iat + DEFAULT_SERVICE_JWT_LIFETIME_SEC,
      ...(req.lxm ? { lxm: req.lxm } : {}),
      // Receivers remember jtis until exp and refuse a replay.
      jti: crypto.randomBytes(16).toString('hex'),
    }
    const signingInput = `${b64url({ typ: 'JWT', alg: keypair.jwtAlg })}.${b64url(payload)}`
    const signature = await keypair.sign(Buffer.from(signingInput, 'utf8'))
    return `${signingInput}.${Buffer.from(signature).toString('base64url')}`
  }
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url')

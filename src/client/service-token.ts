/**
 * An AT Protocol inter-service JWT, signed with the app's own key: how an
 * app proves to Hearth who it is. A fresh token for every call and every
 * socket (Hearth accepts each `jti` once), valid for one method (`lxm`).
 * Written here (a dozen lines) so the client needs no server package.
 *
 * @example
 * const token = await serviceToken(identity, { aud: 'did:web:pds.example', lxm: 'dev.hearth.scope.listRecords' })
 */
import crypto from 'node:crypto'
import type { Keypair } from '@atproto/crypto'

export interface TokenSigner {
  did: string
  keypair: Keypair
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')

export async function serviceToken(signer: TokenSigner, claims: { aud: string; lxm: string; expInSec?: number }): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const header = { alg: signer.keypair.jwtAlg, typ: 'JWT' }
  const payload = { iss: signer.did, aud: claims.aud, lxm: claims.lxm, iat: now, exp: now + (claims.expInSec ?? 60), jti: crypto.randomBytes(16).toString('hex') }
  const input = `${b64url(header)}.${b64url(payload)}`
  const sig = await signer.keypair.sign(Buffer.from(input, 'utf8'))
  return `${input}.${Buffer.from(sig).toString('base64url')}`
}

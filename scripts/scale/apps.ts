/** Apps with their own did:plc and keys, as scope-reading apps are: for the benchmarks that follow scopes. */
import crypto from 'node:crypto'
import * as plc from '@did-plc/lib'
import { Secp256k1Keypair } from '@atproto/crypto'

/** An app's did:plc with its own secp256k1 key as the `atproto` verification method. */
export async function registerApp(plcUrl: string, name: string): Promise<{ did: string; keypair: Secp256k1Keypair }> {
  const keypair = await Secp256k1Keypair.create()
  const { op, did } = await plc.createOp({ signingKey: keypair.did(), handle: `${name}.apps.test`, pds: 'https://apps.example', rotationKeys: [keypair.did()], signer: keypair as never })
  await new plc.Client(plcUrl).sendOperation(did, op)
  return { did, keypair }
}

/** An inter-service JWT from the app, for one call of `lxm` at `aud`. */
export async function serviceJwt(keypair: Secp256k1Keypair, iss: string, aud: string, lxm: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  const input = `${b64({ typ: 'JWT', alg: 'ES256K' })}.${b64({ iss, aud, lxm, iat: now, exp: now + 120, jti: crypto.randomBytes(16).toString('hex') })}`
  return `${input}.${Buffer.from(await keypair.sign(Buffer.from(input))).toString('base64url')}`
}

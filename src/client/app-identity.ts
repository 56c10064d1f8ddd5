/**
 * An app's identity: its DID and the secp256k1 key its DID document names
 * as `atproto` key. In production an app brings its own (`fromPrivateKey`);
 * for development `devIdentity` makes one in a local PLC directory (and
 * keeps it in a JSON file, so the app has the same DID next start).
 *
 * @example
 * const identity = await devIdentity({ plcUrl: 'http://localhost:2582', name: 'notes', file: '.app-identity.json' })
 * const client = new HearthAppClient({ pds: 'http://localhost:2583', identity, plcUrl })
 */
import fs from 'node:fs'
import * as plc from '@did-plc/lib'
import { Secp256k1Keypair } from '@atproto/crypto'
import type { TokenSigner } from './service-token.js'

export interface AppIdentity extends TokenSigner {
  keypair: Secp256k1Keypair
}

/** An identity from a DID and its key (hex private key, as exported by Secp256k1Keypair). */
export async function fromPrivateKey(did: string, privateKeyHex: string): Promise<AppIdentity> {
  return { did, keypair: await Secp256k1Keypair.import(privateKeyHex, { exportable: true }) }
}

/**
 * Loads the identity kept in `file`, or registers a new did:plc in the PLC
 * directory at `plcUrl` (development only: its key is also its rotation
 * key) and keeps it there.
 */
export async function devIdentity(opts: { plcUrl: string; name: string; file?: string }): Promise<AppIdentity> {
  if (opts.file && fs.existsSync(opts.file)) {
    const saved = JSON.parse(fs.readFileSync(opts.file, 'utf8')) as { did: string; privateKey: string; plcUrl: string }
    // A kept identity belongs to one directory: a new local PLC has never heard of it.
    if (saved.plcUrl === opts.plcUrl && (await new plc.Client(opts.plcUrl).getDocumentData(saved.did).catch(() => null))) {
      return fromPrivateKey(saved.did, saved.privateKey)
    }
  }
  const keypair = await Secp256k1Keypair.create({ exportable: true })
  const { op, did } = await plc.createOp({
    signingKey: keypair.did(),
    handle: `${opts.name}.apps.test`,
    pds: 'https://apps.invalid',
    rotationKeys: [keypair.did()],
    signer: keypair as never,
  })
  await new plc.Client(opts.plcUrl).sendOperation(did, op)
  if (opts.file) {
    const privateKey = Buffer.from(await keypair.export()).toString('hex')
    fs.writeFileSync(opts.file, JSON.stringify({ did, privateKey, plcUrl: opts.plcUrl }), { mode: 0o600 })
  }
  return { did, keypair }
}

/**
 * The server's three secrets: the JWT signing secret, the key-encryption key
 * (wraps every account's signing key) and the PLC rotation key. Each comes
 * from the environment or is generated once into `<dataDir>/secrets/`
 * (folder 0700, files 0600) and reused on every later start.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Config } from './config.js'

export interface ServerSecrets {
  jwtSecret: Uint8Array
  keyEncryptionKey: Buffer
  /** secp256k1 private key bytes (hex in the file). */
  plcRotationKey: Uint8Array
}

export function loadSecrets(config: Config): ServerSecrets {
  const dir = path.join(config.dataDir, 'secrets')
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  const jwt = config.secrets.jwtSecret ?? readOrCreate(dir, 'jwt-secret', () => crypto.randomBytes(32).toString('hex'))
  const kek = config.secrets.keyEncryptionKey ?? readOrCreate(dir, 'key-encryption-key', () => crypto.randomBytes(32).toString('hex'))
  // Any 32 random bytes below the curve order is a valid secp256k1 key; the
  // chance of a value past it is ~2^-128.
  const plc = config.secrets.plcRotationKey ?? readOrCreate(dir, 'plc-rotation-key', () => crypto.randomBytes(32).toString('hex'))
  return {
    jwtSecret: new TextEncoder().encode(jwt),
    keyEncryptionKey: Buffer.from(kek, 'hex'),
    plcRotationKey: Buffer.from(plc, 'hex'),
  }
}

function readOrCreate(dir: string, name: string, make: () => string): string {
  const file = path.join(dir, name)
  try {
    return fs.readFileSync(file, 'utf8').trim()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const value = make()
  // 'wx': never overwrite a secret another process wrote a moment ago.
  fs.writeFileSync(file, value + '\n', { mode: 0o600, flag: 'wx' })
  return value
}

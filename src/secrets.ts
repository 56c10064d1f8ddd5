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
  fs.chmodSync(dir, 0o700)
  // Any 32 random bytes below the curve order is a valid secp256k1 key; the
  // chance of a value past it is ~2^-128.
  const jwt = config.secrets.jwtSecret ?? readOrCreate(dir, 'jwt-secret', /^\S{32,}$/)
  const kek = config.secrets.keyEncryptionKey ?? readOrCreate(dir, 'key-encryption-key', /^[0-9a-f]{64}$/i)
  const plc = config.secrets.plcRotationKey ?? readOrCreate(dir, 'plc-rotation-key', /^[0-9a-f]{64}$/i)
  return {
    jwtSecret: new TextEncoder().encode(jwt),
    keyEncryptionKey: Buffer.from(kek, 'hex'),
    plcRotationKey: Buffer.from(plc, 'hex'),
  }
}

/**
 * The secret in `<dir>/<name>`, made (32 random bytes, hex) when there is
 * none. It is written whole to a temp file, synced, then linked into place:
 * a crash never leaves a half-written secret (an empty JWT key would sign
 * tokens anyone can forge), and link() fails when another process made the
 * file first, in which case theirs is used.
 */
function readOrCreate(dir: string, name: string, shape: RegExp): string {
  const file = path.join(dir, name)
  const existing = readSecret(file, shape)
  if (existing !== null) return existing
  const tmp = path.join(dir, `.${name}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`)
  const fd = fs.openSync(tmp, 'wx', 0o600)
  try {
    fs.writeSync(fd, crypto.randomBytes(32).toString('hex') + '\n')
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  try {
    fs.linkSync(tmp, file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  } finally {
    fs.rmSync(tmp, { force: true })
  }
  syncFolder(dir)
  return readSecret(file, shape)!
}

/** The secret in `file`, or null when there is no such file; throws when it is not a secret of the expected shape. */
function readSecret(file: string, shape: RegExp): string | null {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  const value = text.trim()
  if (!shape.test(value)) {
    throw new Error(
      `${file} does not hold a valid secret (damaged or hand-edited?). Restore it from a backup: ` +
        'a new one would leave existing accounts unusable. Delete it only on a server with no accounts yet.',
    )
  }
  // A file restored from a backup may have come back readable by others.
  if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600)
  return value
}

/** Makes a new directory entry durable (Linux; a no-op where folders cannot be opened). */
function syncFolder(dir: string): void {
  let fd: number | undefined
  try {
    fd = fs.openSync(dir, 'r')
    fs.fsyncSync(fd)
  } catch {
    // not supported here
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

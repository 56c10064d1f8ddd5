/**
 * Account signing keys at rest: AES-256-GCM under the server's
 * key-encryption key, with the account DID as associated data so that a
 * ciphertext moved to another account's row does not decrypt.
 *
 * Layout of a sealed key: version byte (1) | 12-byte IV | 16-byte tag | ciphertext.
 */
import crypto from 'node:crypto'
import { accountKeypair, type AccountKeypair } from './account-keypair.js'

const VERSION = 1
/**
 * Decrypted keys kept in memory, most recently used last. Bounded so memory
 * does not grow with the number of accounts that ever wrote (a busy host has
 * hundreds of thousands); a key that fell out is decrypted again (~0.1 ms).
 */
export const KEYPAIR_CACHE_SIZE = 10_000

export class SigningKeyVault {
  private cache = new Map<string, { sealed: Buffer; keypair: AccountKeypair }>()

  constructor(
    private kek: Buffer,
    private cacheSize = KEYPAIR_CACHE_SIZE,
  ) {
    if (kek.length !== 32) throw new Error('key-encryption key must be 32 bytes')
  }

  seal(did: string, privateKey: Uint8Array): Buffer {
    const iv = crypto.randomBytes(12)
    const cipher = crypto.createCipheriv('aes-256-gcm', this.kek, iv)
    cipher.setAAD(Buffer.from(did))
    const body = Buffer.concat([cipher.update(privateKey), cipher.final()])
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body])
  }

  open(did: string, sealed: Uint8Array): Uint8Array {
    const buf = Buffer.from(sealed)
    if (buf[0] !== VERSION) throw new Error('unknown sealed key version')
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.kek, buf.subarray(1, 13))
    decipher.setAAD(Buffer.from(did))
    decipher.setAuthTag(buf.subarray(13, 29))
    return Buffer.concat([decipher.update(buf.subarray(29)), decipher.final()])
  }

  /**
   * The account's keypair, decrypted once and kept in memory after that. The
   * entry is tied to the sealed bytes it came from, so a new key (rotation)
   * is picked up without anyone having to forget the old one. It signs with
   * libsecp256k1 where it loads (src/account/account-keypair.ts).
   */
  async keypair(did: string, sealed: Uint8Array): Promise<AccountKeypair> {
    const hit = this.cache.get(did)
    if (hit && hit.sealed.equals(sealed)) {
      this.cache.delete(did)
      this.cache.set(did, hit)
      return hit.keypair
    }
    const keypair = await accountKeypair(this.open(did, sealed))
    this.cache.delete(did)
    this.cache.set(did, { sealed: unpooledCopy(sealed), keypair })
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!)
    return keypair
  }

  /** How many decrypted keys are held (tests). */
  get cachedKeys(): number {
    return this.cache.size
  }

  /** Drops the decrypted key of a deleted account from memory. */
  forget(did: string): void {
    this.cache.delete(did)
  }
}

/**
 * A copy with its own memory. `Buffer.from(bytes)` of a small array is a
 * slice of Node's shared 8 KiB allocation pool, which stays alive as long as
 * any slice of it does: ten thousand cached keys each kept a pool block of
 * their own alive (~4 KB per account of memory outside the heap, seen as
 * RSS growing with accounts).
 */
function unpooledCopy(bytes: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length)
  copy.set(bytes)
  return copy
}

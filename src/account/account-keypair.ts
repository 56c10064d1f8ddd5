/**
 * An account's secp256k1 signing key, signing with libsecp256k1 (the
 * `secp256k1` package's native binding, prebuilt for Linux x64, macOS arm64
 * and Windows x64; its install script, which would compile it elsewhere, is
 * not run) where it loads: ~0.06 ms a signature instead of ~0.45 ms in
 * @noble/curves, which made signing the largest single item of a
 * createRecord. It is the same key and the same did:key either way, and
 * both give the 64-byte low-S compact signatures AT Protocol verifies
 * (libsecp256k1 only ever produces low-S, with RFC 6979 nonces).
 *
 * Only the native entry point (`secp256k1/bindings`) is loaded: the
 * package's own fallback is a slower JavaScript curve library, and where
 * the binding is missing @atproto/crypto's key serves instead.
 *
 * @example
 * const keypair = accountKeypair(privateKeyBytes)
 * const sig = await keypair.sign(bytes)   // verifySignature(keypair.did(), bytes, sig) === true
 */
import crypto from 'node:crypto'
import { createRequire } from 'node:module'
import { SECP256K1_JWT_ALG, Secp256k1Keypair, formatDidKey, type Keypair } from '@atproto/crypto'

type Bindings = typeof import('secp256k1/bindings')

/** libsecp256k1, or null where its binary does not load on this platform. */
const native: Bindings | null = (() => {
  try {
    return createRequire(import.meta.url)('secp256k1/bindings') as Bindings
  } catch {
    return null
  }
})()

export interface AccountKeypair extends Keypair {
  publicKeyBytes(): Uint8Array
}

/** The keypair for a 32-byte private key, as @atproto/crypto's Secp256k1Keypair exports it. */
export async function accountKeypair(privateKey: Uint8Array, opts: { nativeSigning?: boolean } = {}): Promise<AccountKeypair> {
  if (privateKey.length !== 32) throw new Error('a secp256k1 private key is 32 bytes')
  if (native && opts.nativeSigning !== false) return new NativeSecp256k1Keypair(native, Uint8Array.from(privateKey))
  return Secp256k1Keypair.import(privateKey, { exportable: false })
}

/** Whether signatures are made by libsecp256k1 here (tests, and the start-up log). */
export const nativeSigning = native !== null

class NativeSecp256k1Keypair implements AccountKeypair {
  readonly jwtAlg = SECP256K1_JWT_ALG
  private publicKey: Uint8Array

  constructor(
    private lib: Bindings,
    private privateKey: Uint8Array,
  ) {
    // publicKeyCreate also checks the scalar is a valid key (0 < d < n).
    this.publicKey = lib.publicKeyCreate(privateKey, true)
  }

  did(): string {
    return formatDidKey(this.jwtAlg, this.publicKey)
  }

  publicKeyBytes(): Uint8Array {
    return this.publicKey
  }

  async sign(msg: Uint8Array): Promise<Uint8Array> {
    const digest = crypto.createHash('sha256').update(msg).digest()
    return this.lib.ecdsaSign(digest, this.privateKey).signature
  }
}

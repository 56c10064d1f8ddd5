import crypto from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { Secp256k1Keypair, verifySignature } from '@atproto/crypto'
import { SigningKeyVault } from './signing-key-vault.js'

async function newKey() {
  const keypair = await Secp256k1Keypair.create({ exportable: true })
  return { keypair, privateKey: await keypair.export() }
}

describe('SigningKeyVault', () => {
  const kek = crypto.randomBytes(32)
  const vault = new SigningKeyVault(kek)

  it('opens what it sealed, and the opened key signs as the original', async () => {
    const { keypair, privateKey } = await newKey()
    const sealed = vault.seal('did:plc:alice', privateKey)
    expect(Buffer.from(vault.open('did:plc:alice', sealed))).toEqual(Buffer.from(privateKey))

    const opened = await new SigningKeyVault(kek).keypair('did:plc:alice', sealed)
    expect(opened.did()).toBe(keypair.did())
    const msg = crypto.randomBytes(32)
    expect(await verifySignature(keypair.did(), msg, await opened.sign(msg))).toBe(true)
  })

  it('a sealed key moved to another account does not open (the DID is the associated data)', async () => {
    const { privateKey } = await newKey()
    const sealed = vault.seal('did:plc:alice', privateKey)
    expect(() => vault.open('did:plc:mallory', sealed)).toThrow()
    await expect(new SigningKeyVault(kek).keypair('did:plc:mallory', sealed)).rejects.toThrow()
  })

  it('does not open under another key-encryption key, nor when a byte is changed', async () => {
    const { privateKey } = await newKey()
    const sealed = vault.seal('did:plc:alice', privateKey)
    expect(() => new SigningKeyVault(crypto.randomBytes(32)).open('did:plc:alice', sealed)).toThrow()
    for (const i of [1, 13, 29, sealed.length - 1]) {
      const tampered = Buffer.from(sealed)
      tampered[i] ^= 0x01
      expect(() => vault.open('did:plc:alice', tampered), `byte ${i}`).toThrow()
    }
    const otherVersion = Buffer.from(sealed)
    otherVersion[0] = 2
    expect(() => vault.open('did:plc:alice', otherVersion)).toThrow(/version/)
  })

  it('the sealed bytes do not contain the private key, raw or as hex, and differ on every seal', async () => {
    const { privateKey } = await newKey()
    const a = vault.seal('did:plc:alice', privateKey)
    const b = vault.seal('did:plc:alice', privateKey)
    for (const sealed of [a, b]) {
      expect(sealed.includes(Buffer.from(privateKey))).toBe(false)
      expect(sealed.includes(Buffer.from(Buffer.from(privateKey).toString('hex')))).toBe(false)
      // Version, 12-byte IV, 16-byte tag, then exactly the 32 encrypted bytes.
      expect(sealed.length).toBe(1 + 12 + 16 + 32)
    }
    expect(a.equals(b)).toBe(false)
  })

  it('refuses a key-encryption key that is not 32 bytes', () => {
    expect(() => new SigningKeyVault(crypto.randomBytes(16))).toThrow()
    expect(() => new SigningKeyVault(Buffer.alloc(0))).toThrow()
  })

  it('keeps a bounded number of decrypted keys, dropping the least recently used', async () => {
    const size = 5
    const v = new SigningKeyVault(kek, size)
    const { privateKey } = await newKey()
    const sealedFor = (i: number) => v.seal(`did:plc:k${i}`, privateKey)
    const first = sealedFor(0)
    await v.keypair('did:plc:k0', first)
    for (let i = 1; i <= size + 5; i++) {
      await v.keypair(`did:plc:k${i}`, sealedFor(i))
      if (i === size - 1) await v.keypair('did:plc:k0', first) // used again: kept
    }
    expect(v.cachedKeys).toBe(size)
    const before = v.cachedKeys
    await v.keypair('did:plc:k0', first)
    expect(v.cachedKeys).toBe(before)
  })

  it('holds its cached copies in memory of their own, never a slice of the shared Buffer pool', async () => {
    // A pool slice keeps its whole 8 KiB pool block alive: with thousands of
    // cached keys that was ~4 KB per account outside the heap.
    const v = new SigningKeyVault(kek)
    const { privateKey } = await newKey()
    for (let i = 0; i < 20; i++) {
      const sealed = Buffer.from(v.seal(`did:plc:p${i}`, privateKey)) // a pooled Buffer, as a small copy is
      expect(sealed.buffer.byteLength).toBeGreaterThan(sealed.length)
      const keypair = await v.keypair(`did:plc:p${i}`, sealed)
      const cached = (v as unknown as { cache: Map<string, { sealed: Buffer; keypair: { publicKeyBytes(): Uint8Array } }> }).cache.get(`did:plc:p${i}`)!
      expect(cached.sealed.buffer.byteLength).toBe(cached.sealed.length)
      expect(keypair.publicKeyBytes().buffer.byteLength).toBe(keypair.publicKeyBytes().length)
      // And the cached copy still answers for the same sealed bytes.
      expect(await v.keypair(`did:plc:p${i}`, sealed)).toBe(keypair)
    }
  })
})

/**
 * The interop crypto vectors: signatures (atproto accepts only low-S,
 * non-DER signatures) and did:key encodings. Account keys go through
 * Hearth's SigningKeyVault, the path every commit signature takes.
 */
import { describe, expect, it } from 'vitest'
import crypto from 'node:crypto'
import {
  P256Keypair,
  bytesToMultibase,
  formatDidKey,
  multibaseToBytes,
  parseDidKey,
  verifySignature,
} from '@atproto/crypto'
import { SigningKeyVault } from '../../src/account/signing-key-vault.js'
import { json } from './interop-vectors.js'

interface SignatureFixture {
  comment: string
  messageBase64: string
  algorithm: 'ES256' | 'ES256K'
  publicKeyDid: string
  publicKeyMultibase: string
  signatureBase64: string
  validSignature: boolean
  tags: string[]
}

const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'))

/**
 * Whether the strict verifier accepts the signature. It answers false for a
 * high-S signature but throws for one of the wrong length (DER): both are a
 * refusal, and whoever verifies an outside signature must catch.
 */
async function accepts(didKey: string, msg: Uint8Array, sig: Uint8Array): Promise<boolean> {
  try {
    return await verifySignature(didKey, msg, sig)
  } catch {
    return false
  }
}

/** 0x04 | x | y → (0x02 | 0x03 by y's parity) | x. */
function compressPoint(point: Uint8Array): Uint8Array {
  if (point.length === 33) return point
  expect(point[0]).toBe(0x04)
  const out = new Uint8Array(33)
  out[0] = 0x02 + (point[64] & 1)
  out.set(point.subarray(1, 33), 1)
  return out
}

describe('signature fixtures', () => {
  const fixtures = json<SignatureFixture[]>('crypto/signature-fixtures.json')

  for (const f of fixtures) {
    it(`${f.comment}: ${f.validSignature ? 'verifies' : 'is refused'}`, async () => {
      const parsed = parseDidKey(f.publicKeyDid)
      expect(parsed.jwtAlg).toBe(f.algorithm)
      // The multibase form is the bare compressed public key, base58btc
      // (parseDidKey hands back the uncompressed point).
      expect(bytesToMultibase(compressPoint(parsed.keyBytes), 'base58btc')).toBe(f.publicKeyMultibase)
      expect(await accepts(f.publicKeyDid, b64(f.messageBase64), b64(f.signatureBase64))).toBe(f.validSignature)
    })
  }

  it('the set holds both valid and refused (high-S, DER) cases', () => {
    expect(fixtures.some((f) => f.validSignature)).toBe(true)
    expect(fixtures.some((f) => f.tags.includes('high-s'))).toBe(true)
    expect(fixtures.some((f) => f.tags.includes('der-encoded'))).toBe(true)
  })
})

describe('did:key vectors', () => {
  const k256 = json<{ privateKeyBytesHex: string; publicDidKey: string }[]>('crypto/w3c_didkey_K256.json')
  const p256 = json<{ privateKeyBytesBase58: string; publicDidKey: string }[]>('crypto/w3c_didkey_P256.json')
  const vault = new SigningKeyVault(crypto.randomBytes(32))

  it(`K-256: a key sealed in and opened from Hearth's vault has the vector's did:key (${k256.length} keys)`, async () => {
    for (const [i, v] of k256.entries()) {
      const did = `did:plc:vector${i}`
      const keypair = await vault.keypair(did, vault.seal(did, Buffer.from(v.privateKeyBytesHex, 'hex')))
      expect(keypair.did()).toBe(v.publicDidKey)
      const parsed = parseDidKey(v.publicDidKey)
      expect(parsed.jwtAlg).toBe('ES256K')
      expect(formatDidKey(parsed.jwtAlg, parsed.keyBytes)).toBe(v.publicDidKey)
    }
  })

  it('K-256: signatures made by a vault keypair pass the strict verifier against its did:key', async () => {
    for (const [i, v] of k256.entries()) {
      const did = `did:plc:signer${i}`
      const keypair = await vault.keypair(did, vault.seal(did, Buffer.from(v.privateKeyBytesHex, 'hex')))
      const msg = crypto.randomBytes(64)
      const sig = await keypair.sign(msg)
      expect(sig.length).toBe(64) // compact, not DER
      expect(await verifySignature(v.publicDidKey, msg, sig)).toBe(true)
      msg[0] ^= 1
      expect(await verifySignature(v.publicDidKey, msg, sig)).toBe(false)
    }
  })

  it('P-256: the private key gives the vector did:key', async () => {
    for (const v of p256) {
      const keypair = await P256Keypair.import(multibaseToBytes(`z${v.privateKeyBytesBase58}`))
      expect(keypair.did()).toBe(v.publicDidKey)
      expect(parseDidKey(v.publicDidKey).jwtAlg).toBe('ES256')
    }
  })
})

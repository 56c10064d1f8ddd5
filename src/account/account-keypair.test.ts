import crypto from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { Secp256k1Keypair, verifySignature } from '@atproto/crypto'
import { verifyCommitSig, type Commit } from '@atproto/repo'
import { accountKeypair, nativeSigning } from './account-keypair.js'

const HALF_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n >> 1n
const sOf = (sig: Uint8Array) => BigInt(`0x${Buffer.from(sig.subarray(32)).toString('hex')}`)

describe('accountKeypair', () => {
  it('signs with libsecp256k1 where the package ships a binary', () => {
    // On the binding's prebuilt platforms a missing binary is a broken install; elsewhere @atproto/crypto signs.
    const prebuilt = ['linux-x64', 'darwin-arm64', 'win32-x64'].includes(`${process.platform}-${process.arch}`)
    if (prebuilt) expect(nativeSigning).toBe(true)
  })

  for (const native of [true, false]) {
    it(`${native ? 'native' : '@atproto/crypto'}: the did:key of the same key, and low-S signatures that verify strictly`, async () => {
      const reference = await Secp256k1Keypair.create({ exportable: true })
      const keypair = await accountKeypair(await reference.export(), { nativeSigning: native })
      expect(keypair.did()).toBe(reference.did())
      expect(keypair.jwtAlg).toBe('ES256K')
      expect(Buffer.from(keypair.publicKeyBytes())).toEqual(Buffer.from(reference.publicKeyBytes()))
      for (let i = 0; i < 32; i++) {
        const msg = crypto.randomBytes(40 + i)
        const sig = await keypair.sign(msg)
        expect(sig.length).toBe(64)
        expect(sOf(sig) <= HALF_N).toBe(true)
        expect(await verifySignature(reference.did(), msg, sig)).toBe(true)
        expect(await verifySignature(reference.did(), crypto.randomBytes(40), sig)).toBe(false)
      }
    })
  }

  it('signs a commit that @atproto/repo verifies against the did:key', async () => {
    const keypair = await accountKeypair(crypto.randomBytes(32))
    const { signCommit } = await import('@atproto/repo')
    const { parseCid } = await import('@atproto/lex-data')
    const unsigned = { did: 'did:plc:abc', version: 3 as const, data: parseCid('bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm'), rev: '3kabcabcabc22', prev: null }
    const commit = (await signCommit(unsigned, keypair)) as Commit
    expect(await verifyCommitSig(commit, keypair.did())).toBe(true)
    expect(await verifyCommitSig({ ...commit, rev: '3kabcabcabc23' }, keypair.did())).toBe(false)
  })

  it('refuses a private key of the wrong length, or zero', async () => {
    await expect(accountKeypair(new Uint8Array(31))).rejects.toThrow(/32 bytes/)
    await expect(accountKeypair(new Uint8Array(32))).rejects.toThrow()
  })
})

/**
 * The commit encoder against @atproto/lex-cbor byte for byte, and
 * signCommitBytes against @atproto/repo's signCommit.
 */
import { describe, expect, it } from 'vitest'
import { Secp256k1Keypair } from '@atproto/crypto'
import { signCommit, verifyCommitSig, type Commit, type UnsignedCommit } from '@atproto/repo'
import { encode as lexEncode } from '@atproto/lex-cbor'
import { parseCid } from '@atproto/lex-data'
import { encodeCommit, signCommitBytes } from './commit-cbor.js'
import { accountKeypair } from '../account/account-keypair.js'

const data = parseCid('bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm')
const prev = parseCid('bafyreidvaap6dokdbhz73z4cjdh7qhfwqshzgrourac22mx5g743ats3qi')
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

describe('encodeCommit', () => {
  it('gives lex-cbor’s bytes for unsigned and signed commits of every field length', () => {
    const dids = ['did:plc:ewvi7nxzyoun6zhxrhs64oiz', 'did:web:a.example', `did:web:${'a'.repeat(20)}.example`, `did:web:${'b'.repeat(300)}.example`]
    let checked = 0
    for (const did of dids) {
      for (const rev of ['3kabcabcabc22', 'x', 'r'.repeat(24)]) {
        for (const p of [null, prev]) {
          for (const version of [3, 2, 30]) {
            const unsigned = { did, version, rev, prev: p, data } as unknown as UnsignedCommit
            expect(hex(encodeCommit(unsigned))).toBe(hex(lexEncode(unsigned as never)))
            for (const sigLen of [64, 20, 300]) {
              const signed = { ...unsigned, sig: new Uint8Array(sigLen).map((_, i) => i * 7) } as Commit
              expect(hex(encodeCommit(signed))).toBe(hex(lexEncode(signed as never)))
              checked++
            }
          }
        }
      }
    }
    expect(checked).toBe(4 * 3 * 2 * 3 * 3)
  })

  it('hands anything else to lex-cbor: a non-ASCII DID, an extra field', () => {
    const odd = [
      { did: 'did:web:é.example', version: 3, rev: '3kabcabcabc22', prev: null, data },
      { did: 'did:plc:abc', version: 3, rev: '3kabcabcabc22', prev: null, data, extra: 'x' },
    ]
    for (const c of odd) expect(hex(encodeCommit(c as never))).toBe(hex(lexEncode(c as never)))
  })
})

describe('signCommitBytes', () => {
  for (const native of [true, false]) {
    it(`${native ? 'libsecp256k1' : '@atproto/crypto'}: the commit @atproto/repo's signCommit makes, its bytes, and a signature that verifies`, async () => {
      const reference = await Secp256k1Keypair.create({ exportable: true })
      const keypair = await accountKeypair(await reference.export(), { nativeSigning: native })
      const unsigned: UnsignedCommit = { did: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', version: 3, rev: '3kabcabcabc22', prev: null, data }
      const { commit, bytes } = await signCommitBytes(unsigned, keypair)
      const library = await signCommit(unsigned, reference)
      // RFC 6979 signatures are deterministic: the same key signs the same bytes alike.
      expect(hex(commit.sig)).toBe(hex(library.sig))
      expect(hex(bytes)).toBe(hex(lexEncode(library as never)))
      expect(await verifyCommitSig(commit, reference.did())).toBe(true)
    })
  }
})

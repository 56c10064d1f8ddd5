import { describe, expect, it } from 'vitest'
import crypto from 'node:crypto'
import { createCid, parseCid } from '@atproto/lex-data'
import { BlockMap, CidSet } from '@atproto/repo'
import { blockEntriesByString, cidStringToBytes, cidStrings } from './raw-block-map.js'

describe('raw block map access', () => {
  it('decodes CID strings to exactly the bytes multiformats gives', () => {
    for (let i = 0; i < 500; i++) {
      const digest = crypto.createHash('sha256').update(String(i)).digest()
      for (const codec of [0x71, 0x55]) {
        const cid = createCid(codec, 0x12, digest)
        expect(Buffer.from(cidStringToBytes(cid.toString())).equals(Buffer.from(cid.bytes))).toBe(true)
      }
    }
    // A CIDv0 (base58) is handed to multiformats.
    const v0 = 'QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n'
    expect(Buffer.from(cidStringToBytes(v0)).equals(Buffer.from(parseCid(v0).bytes))).toBe(true)
  })

  it('reads BlockMap and CidSet entries by CID string', () => {
    const cid = parseCid('bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm')
    const map = new BlockMap()
    map.set(cid, new Uint8Array([1, 2, 3]))
    expect([...blockEntriesByString(map)]).toEqual([[cid.toString(), new Uint8Array([1, 2, 3])]])
    expect([...cidStrings(new CidSet([cid]))]).toEqual([cid.toString()])
  })
})

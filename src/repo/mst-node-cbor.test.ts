/**
 * The fixed-shape MST node encoder against @atproto/lex-cbor, byte for byte,
 * and the patched `MST.serialize()` against the library's own serialization
 * (test/interop/mst.test.ts checks the interop fixtures' roots through it).
 */
import { describe, expect, it } from 'vitest'
import { MST, MemoryBlockstore, mstUtil } from '@atproto/repo'
import { encode as lexEncode } from '@atproto/lex-cbor'
import { cidForCbor, parseCid, type Cid } from '@atproto/lex-data'
import crypto from 'node:crypto'
import { encodeNodeData, type NodeData } from './mst-node-cbor.js'
import './mst-serialize-memo.js'

/** A small deterministic generator, so a failure names the same node every run. */
function prng(seed: number) {
  let s = seed >>> 0
  return (n: number) => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s % n
  }
}

const cborCid = async (i: number) => cidForCbor(lexEncode({ i }))
const rawCid = parseCid('bafkreie5cvv4h45feadgeuwhbcutmh6t2ceseocckahdoe6uat64zmz454')

describe('encodeNodeData', () => {
  it('gives the bytes @atproto/lex-cbor gives, for nodes of every size the heads can take', async () => {
    const rand = prng(17)
    const cids: Cid[] = [rawCid, ...(await Promise.all(Array.from({ length: 8 }, (_, i) => cborCid(i))))]
    const pick = () => cids[rand(cids.length)]
    // Entry counts, key lengths and prefix lengths on both sides of each CBOR head size (24, 256, 65536).
    const sizes = [0, 1, 2, 23, 24, 25, 255, 256, 300]
    let checked = 0
    for (const count of [0, 1, 5, 23, 24, 40]) {
      for (let round = 0; round < 12; round++) {
        const data: NodeData = {
          l: rand(2) ? pick() : null,
          e: Array.from({ length: count }, () => ({
            p: sizes[rand(sizes.length)],
            k: crypto.randomBytes(sizes[rand(sizes.length)]),
            v: pick(),
            t: rand(3) ? null : pick(),
          })),
        }
        expect(Buffer.from(encodeNodeData(data)).toString('hex')).toBe(Buffer.from(lexEncode(data as never)).toString('hex'))
        checked++
      }
    }
    // A key of 70,000 bytes needs the four-byte head.
    const long: NodeData = { l: null, e: [{ p: 70_000, k: crypto.randomBytes(70_000), v: rawCid, t: null }] }
    expect(Buffer.from(encodeNodeData(long)).equals(Buffer.from(lexEncode(long as never)))).toBe(true)
    expect(checked).toBe(72)
  })

  it('hands anything not of the node shape to lex-cbor', () => {
    // lex-cbor refuses what the data model has no place for, and so does the node encoder.
    const odd = { l: null, e: [{ p: 1.5, k: new Uint8Array([97]), v: rawCid, t: null }] } as NodeData
    expect(() => lexEncode(odd as never)).toThrow(/Non-integer/)
    expect(() => encodeNodeData(odd)).toThrow(/Non-integer/)
    const notCid = { l: { bytes: new Uint8Array(4) }, e: [] } as unknown as NodeData
    expect(Buffer.from(encodeNodeData(notCid)).equals(Buffer.from(lexEncode(notCid as never)))).toBe(true)
  })
})

describe('MST.serialize through the node encoder', () => {
  it('every node of a 3,000-key tree has the bytes and CID the library computes', async () => {
    const leaf = await cborCid(0)
    let mst = await MST.create(new MemoryBlockstore())
    for (let i = 0; i < 3000; i++) mst = await mst.add(`app.bsky.feed.post/${(1e12 + i * 7919).toString(36)}`, leaf)
    const nodes: MST[] = [mst]
    let seen = 0
    while (nodes.length > 0) {
      const node = nodes.pop()!
      const entries = await node.getEntries()
      const { cid, bytes } = await node.serialize()
      const libraryBytes = lexEncode(mstUtil.serializeNodeData(entries) as never)
      expect(Buffer.from(bytes).equals(Buffer.from(libraryBytes))).toBe(true)
      expect(cid.toString()).toBe((await mstUtil.cidForEntries(entries)).toString())
      for (const e of entries) if (e.isTree()) nodes.push(e)
      seen++
    }
    expect(seen).toBeGreaterThan(100)
  })
})

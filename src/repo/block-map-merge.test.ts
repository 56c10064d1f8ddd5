import { describe, expect, it } from 'vitest'
import { BlockMap } from '@atproto/repo'
import { cidForBytes } from './prepare-writes.js'
import './block-map-merge.js'

const block = (text: string) => {
  const bytes = new TextEncoder().encode(text)
  return [cidForBytes(bytes), bytes] as const
}

describe('BlockMap.addMap (string-key merge)', () => {
  it('merges every block of the other map, keeps its own, and returns itself', () => {
    const a = new BlockMap()
    const b = new BlockMap()
    const [c1, b1] = block('one')
    const [c2, b2] = block('two')
    const [c3, b3] = block('three')
    a.set(c1, b1)
    b.set(c2, b2).set(c3, b3).set(c1, b1)
    expect(a.addMap(b)).toBe(a)
    expect(a.size).toBe(3)
    for (const [cid, bytes] of [block('one'), block('two'), block('three')]) {
      expect(a.has(cid)).toBe(true)
      expect(Buffer.from(a.get(cid)!).equals(Buffer.from(bytes))).toBe(true)
    }
    // Keys read back as the same CIDs (what iteration and CAR writing see).
    expect(a.cids().map(String).sort()).toEqual([c1, c2, c3].map(String).sort())
    // The other map is left as it was.
    expect(b.size).toBe(3)
  })

  it('gives the same map as adding each block one by one', () => {
    const blocks = Array.from({ length: 20 }, (_, i) => block(`b${i}`))
    const merged = new BlockMap()
    const other = new BlockMap()
    blocks.slice(0, 10).forEach(([c, b]) => merged.set(c, b))
    blocks.slice(5).forEach(([c, b]) => other.set(c, b))
    merged.addMap(other)
    const oneByOne = new BlockMap()
    blocks.forEach(([c, b]) => oneByOne.set(c, b))
    expect(merged.equals(oneByOne)).toBe(true)
  })
})

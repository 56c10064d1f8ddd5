/**
 * The CAR fixture through Hearth's car-writer: given the fixture's root and
 * its blocks in the same order, encodeCar (and the streaming pieces getRepo
 * uses, carHeader + carBlock) must give the fixture's bytes exactly, and
 * every block's CID must be what Hearth's cidForBytes computes.
 */
import { describe, expect, it } from 'vitest'
import { readCar, readCarWithRoot } from '@atproto/repo'
import { parseCid } from '@atproto/lex-data'
import { carBlock, carHeader, concat, encodeCar } from '../../src/repo/car-writer.js'
import { cidForBytes } from '../../src/repo/prepare-writes.js'
import { json } from './interop-vectors.js'

interface CarFixture {
  root: string
  blocks: { cid: string; bytes: string }[]
  car: string
}

const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'))

describe('car-file-fixtures.json', () => {
  for (const [i, f] of json<CarFixture[]>('car/car-file-fixtures.json').entries()) {
    const root = parseCid(f.root)
    const blocks = f.blocks.map((b) => [parseCid(b.cid), b64(b.bytes)] as const)

    it(`fixture ${i}: every block's CID is the SHA-256 DAG-CBOR CID Hearth computes`, () => {
      for (const [cid, bytes] of blocks) expect(cidForBytes(bytes).toString()).toBe(cid.toString())
    })

    it(`fixture ${i}: encodeCar reproduces the fixture bytes`, () => {
      const car = encodeCar(root, blocks.map(([c, b]) => [c, b]))
      expect(Buffer.from(car).equals(Buffer.from(b64(f.car)))).toBe(true)
    })

    it(`fixture ${i}: header + blocks written one by one (as getRepo streams) give the same bytes`, () => {
      const car = concat([carHeader(root), ...blocks.map(([cid, bytes]) => carBlock(cid.bytes, bytes))])
      expect(Buffer.from(car).equals(Buffer.from(b64(f.car)))).toBe(true)
    })

    it(`fixture ${i}: @atproto/repo reads Hearth's CAR back with its root and blocks`, async () => {
      const { root: readRoot, blocks: readBlocks } = await readCarWithRoot(encodeCar(root, blocks.map(([c, b]) => [c, b])))
      expect(readRoot.toString()).toBe(f.root)
      expect(readBlocks.size).toBe(f.blocks.length)
      for (const [cid, bytes] of blocks) expect(Buffer.from(readBlocks.get(cid)!).equals(Buffer.from(bytes))).toBe(true)
    })

    it(`fixture ${i}: with no root (as getBlocks sends) @atproto/repo reads an empty roots list and the blocks`, async () => {
      const { roots, blocks: readBlocks } = await readCar(encodeCar(null, blocks.map(([c, b]) => [c, b])))
      expect(roots).toEqual([])
      expect(readBlocks.size).toBe(f.blocks.length)
    })
  }
})

/**
 * The CAR writer: its header against lex-cbor byte for byte, and a whole CAR
 * read back by @atproto/repo.
 */
import { describe, expect, it } from 'vitest'
import { readCar } from '@atproto/repo'
import { encode as lexEncode } from '@atproto/lex-cbor'
import { cidForCbor, parseCid } from '@atproto/lex-data'
import { carHeader, encodeCar, headerBytes, varint } from './car-writer.js'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

describe('car-writer', () => {
  it('writes the header lex-cbor writes, with a root and without', () => {
    const roots = [parseCid('bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm'), parseCid('bafkreie5cvv4h45feadgeuwhbcutmh6t2ceseocckahdoe6uat64zmz454')]
    for (const root of roots) expect(hex(headerBytes(root))).toBe(hex(lexEncode({ version: 1, roots: [root] } as never)))
    expect(hex(headerBytes(null))).toBe(hex(lexEncode({ version: 1, roots: [] } as never)))
    const header = headerBytes(roots[0])
    expect(hex(carHeader(roots[0]))).toBe(hex(Buffer.concat([varint(header.length), header])))
  })

  it('a CAR that @atproto/repo reads back: its root and every block', async () => {
    const blocks = await Promise.all(
      Array.from({ length: 5 }, async (_, i) => {
        const bytes = lexEncode({ i, text: 'x'.repeat(i * 60) } as never)
        return [await cidForCbor(bytes), bytes] as const
      }),
    )
    const car = encodeCar(blocks[0][0], blocks.map(([cid, bytes]) => [cid, bytes]))
    const { roots, blocks: read } = await readCar(car)
    expect(roots.map(String)).toEqual([blocks[0][0].toString()])
    for (const [cid, bytes] of blocks) expect(hex(read.get(cid)!)).toBe(hex(bytes))
  })
})

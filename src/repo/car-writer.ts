/**
 * CAR v1 encoding, by hand: a varint-framed DAG-CBOR header, then each block
 * as varint(len) | cid bytes | data. Written here rather than taken from
 * @ipld/car because Hearth needs it synchronous (inside a SQLite transaction,
 * for event frames) and streaming straight from a row iterator (getRepo),
 * and the format is a dozen lines.
 */
import { encode as cborEncode } from '@atproto/lex-cbor'
import { isCid, type Cid } from '@atproto/lex-data'
import { CborWriter, asciiLen, cidLen, headLen } from './cbor-writer.js'

export function varint(n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
  return Uint8Array.from(out)
}

export function carHeader(root: Cid | null): Uint8Array {
  const header = headerBytes(root)
  return concat([varint(header.length), header])
}

/**
 * `{ roots: [root], version: 1 }` in DAG-CBOR (keys shorter first), written
 * directly: every #commit frame carries a CAR, and lex-cbor's general path
 * was a third of the CAR's cost. Its test compares the bytes with lex-cbor's.
 */
export function headerBytes(root: Cid | null): Uint8Array {
  if (root !== null && !isCid(root)) return cborEncode({ version: 1, roots: [root] } as never)
  const w = new CborWriter(headLen(2) + asciiLen('roots') + headLen(1) + (root ? cidLen(root) : 0) + asciiLen('version') + headLen(1))
  w.map(2)
  w.text('roots')
  w.array(root ? 1 : 0)
  if (root) w.cid(root)
  w.text('version')
  w.uint(1)
  return w.done()
}

export function carBlock(cidBytes: Uint8Array, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(varintLength(cidBytes.length + data.length) + cidBytes.length + data.length)
  const len = varint(cidBytes.length + data.length)
  out.set(len, 0)
  out.set(cidBytes, len.length)
  out.set(data, len.length + cidBytes.length)
  return out
}

/** A whole CAR in memory, for small sets of blocks (event frames, proofs). */
export function encodeCar(root: Cid | null, blocks: Iterable<[{ bytes: Uint8Array }, Uint8Array]>): Uint8Array {
  const parts = [carHeader(root)]
  for (const [cid, data] of blocks) parts.push(carBlock(cid.bytes, data))
  return concat(parts)
}

function varintLength(n: number): number {
  let len = 1
  while (n >= 0x80) {
    n = Math.floor(n / 128)
    len++
  }
  return len
}

export function concat(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts)
}

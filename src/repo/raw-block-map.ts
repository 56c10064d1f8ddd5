/**
 * Reading @atproto/repo's BlockMap and CidSet without their CID objects.
 * Both keep CIDs as strings and turn each back into a multiformats CID on
 * every iteration; constructing those objects was the largest single cost in
 * a commit's profile. Hearth only needs the bytes of each CID (SQLite keys,
 * CAR blocks), so it reads the string keys and decodes base32 directly.
 * Falls back to the public iterators should the library's fields change.
 */
import type { BlockMap, CidSet } from '@atproto/repo'
import { base32 } from 'multiformats/bases/base32'
import { parseCid } from '@atproto/lex-data'

export function blockEntriesByString(blocks: BlockMap): Iterable<[string, Uint8Array]> {
  const inner = (blocks as unknown as { map?: unknown }).map
  if (inner instanceof Map) return inner as Map<string, Uint8Array>
  return Array.from(blocks, ([cid, bytes]) => [cid.toString(), bytes] as [string, Uint8Array])
}

export function cidStrings(set: CidSet): Iterable<string> {
  const inner = (set as unknown as { set?: unknown }).set
  if (inner instanceof Set) return inner as Set<string>
  return set.toList().map((cid) => cid.toString())
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'
const BASE32_VALUE = new Int8Array(128).fill(-1)
for (let i = 0; i < BASE32.length; i++) BASE32_VALUE[BASE32.charCodeAt(i)] = i

/**
 * The binary form of a CID string. CIDv1 strings here are multibase base32
 * ('b' + RFC 4648 lowercase, no padding), decoded by this loop: multiformats'
 * generic decoder took ~9 µs a CID, and a commit decodes a dozen. Anything
 * else (a CIDv0, another base) goes through multiformats.
 */
export function cidStringToBytes(cid: string): Uint8Array {
  if (cid.charCodeAt(0) !== 98 /* b */) return parseCid(cid).bytes
  const out = new Uint8Array(((cid.length - 1) * 5) >> 3)
  let bits = 0
  let value = 0
  let j = 0
  for (let i = 1; i < cid.length; i++) {
    const code = cid.charCodeAt(i)
    const v = code < 128 ? BASE32_VALUE[code] : -1
    if (v < 0) return base32.decode(cid) // not plain base32: let multiformats judge it
    value = (value << 5) | v
    bits += 5
    if (bits >= 8) {
      bits -= 8
      out[j++] = (value >>> bits) & 0xff
    }
  }
  return out
}

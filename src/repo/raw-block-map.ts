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

/** The binary form of a CID string (base32, as @atproto/repo writes them). */
export function cidStringToBytes(cid: string): Uint8Array {
  return base32.decode(cid)
}

/**
 * `BlockMap.addMap` without CID objects. @atproto/repo keeps a BlockMap's
 * CIDs as strings, and its `addMap` iterates the other map (parsing every
 * string back into a multiformats CID) only to turn each into a string again
 * in `set`. Every covering proof of a commit is merged that way, level by
 * level: with CID construction that was ~5% of a createRecord's CPU
 * (profiled). The string keys are the CIDs' own `toString()`, so copying
 * them is the same merge. Imported for its effect by the code that builds
 * commits; falls back to the original should the library's fields change.
 */
import { BlockMap } from '@atproto/repo'

const PATCHED = Symbol.for('hearth.block-map-merge')
const proto = BlockMap.prototype as BlockMap & { [PATCHED]?: true }

const inner = (m: BlockMap): Map<string, Uint8Array> | null => {
  const map = (m as unknown as { map?: unknown }).map
  return map instanceof Map ? (map as Map<string, Uint8Array>) : null
}

if (!proto[PATCHED]) {
  const original = proto.addMap
  proto.addMap = function (this: BlockMap, toAdd: BlockMap) {
    const into = inner(this)
    const from = inner(toAdd)
    if (!into || !from) return original.call(this, toAdd)
    for (const [cid, bytes] of from) into.set(cid, bytes)
    return this
  }
  proto[PATCHED] = true
}

/**
 * Makes @atproto/repo's `MST.serialize()` remember its answer and encode
 * through src/repo/mst-node-cbor.ts.
 *
 * The library CBOR-encodes and hashes a node every time it is asked, and one
 * commit asks for each new node about three times (its pointer, the diff, and
 * every covering proof through it): profiling put that at an eighth of a
 * commit's CPU. A node's content is fixed once it exists (edits make new
 * nodes, and the first serialize settles any child pointer still open), so
 * the first answer holds for the node's lifetime. The one serialization is
 * the library's own steps (settle child pointers, `serializeNodeData`, encode,
 * hash) with the node's fixed-shape encoder in place of the general one.
 * Imported for its effect by the code that builds commits.
 */
import { MST, mstUtil } from '@atproto/repo'
import { encodeNodeData, type NodeData } from './mst-node-cbor.js'
import { cidForBytes } from './prepare-writes.js'

type Serialized = Awaited<ReturnType<MST['serialize']>>

const PATCHED = Symbol.for('hearth.mst-serialize-memo')
const proto = MST.prototype as MST & { [PATCHED]?: true }

async function serializeOnce(node: MST): Promise<Serialized> {
  let entries = await node.getEntries()
  const outdated = entries.filter((e) => e.isTree() && e.outdatedPointer)
  if (outdated.length > 0) {
    await Promise.all(outdated.map((e) => (e as MST).getPointer()))
    entries = await node.getEntries()
  }
  const bytes = encodeNodeData(mstUtil.serializeNodeData(entries) as NodeData)
  return { cid: cidForBytes(bytes), bytes }
}

/** Each node's one serialization (shared by every copy of this module: the prototype is patched once). */
const MEMO = Symbol.for('hearth.mst-serialize-memo.answers')
const memo = ((globalThis as Record<symbol, unknown>)[MEMO] ??= new WeakMap()) as WeakMap<MST, Promise<Serialized>>

/** Records a serialization made elsewhere (src/repo/mst-settle.ts), so that `serialize()` answers it. */
export function rememberSerialized(node: MST, serialized: Serialized): void {
  memo.set(node, Promise.resolve(serialized))
}

if (!proto[PATCHED]) {
  proto.serialize = function (this: MST) {
    let result = memo.get(this)
    if (!result) {
      result = serializeOnce(this)
      memo.set(this, result)
      result.catch(() => memo.delete(this))
    }
    return result
  }
  proto[PATCHED] = true
}

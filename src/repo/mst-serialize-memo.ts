/**
 * Remembers each MST node's serialization. @atproto/repo's `MST.serialize()`
 * CBOR-encodes and hashes a node every time it is asked, and one commit asks
 * for each new node about three times (its pointer, the diff, and every
 * covering proof through it): profiling put that at an eighth of a commit's
 * CPU. A node's content is fixed once it exists (edits make new nodes, and
 * the first serialize settles any child pointer still open), so the first
 * answer holds for the node's lifetime. Imported for its effect by the code
 * that builds commits.
 */
import { MST } from '@atproto/repo'

type Serialized = Awaited<ReturnType<MST['serialize']>>

const PATCHED = Symbol.for('hearth.mst-serialize-memo')
const proto = MST.prototype as MST & { [PATCHED]?: true }

if (!proto[PATCHED]) {
  const original = proto.serialize
  const memo = new WeakMap<MST, Promise<Serialized>>()
  proto.serialize = function (this: MST) {
    let result = memo.get(this)
    if (!result) {
      result = original.call(this)
      memo.set(this, result)
      result.catch(() => memo.delete(this))
    }
    return result
  }
  proto[PATCHED] = true
}

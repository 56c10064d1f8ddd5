/**
 * DAG-CBOR bytes of one MST node, for the node's one fixed shape
 * (`{ e: [{ k, p, t, v }], l }`), written by src/repo/cbor-writer.ts.
 *
 * A commit serialises every new node on its path
 * (src/repo/mst-serialize-memo.ts); through lex-cbor that was a tenth of a
 * createRecord's server time. Map keys are all one character, so DAG-CBOR's
 * order (shorter first, then bytewise) is e before l, and k, p, t, v.
 * Anything not of that shape goes to lex-cbor, and the tests compare the two
 * byte for byte.
 *
 * @example
 * const bytes = encodeNodeData(mstUtil.serializeNodeData(entries))
 */
import { encode as lexEncode } from '@atproto/lex-cbor'
import { isCid, type Cid } from '@atproto/lex-data'
import { CborWriter, asciiLen, bytesLen, cidLen, fitsHead, headLen } from './cbor-writer.js'

export interface NodeData {
  l: Cid | null
  e: { p: number; k: Uint8Array; v: Cid; t: Cid | null }[]
}

/** Every map key here is one character: its text head and the character. */
const KEY_LEN = asciiLen('e')

function shapeIsPlain(data: NodeData): boolean {
  if (data.l !== null && !isCid(data.l)) return false
  if (!Array.isArray(data.e)) return false
  for (const entry of data.e) {
    if (!fitsHead(entry.p) || !(entry.k instanceof Uint8Array) || !isCid(entry.v)) return false
    if (entry.t !== null && !isCid(entry.t)) return false
  }
  return true
}

export function encodeNodeData(data: NodeData): Uint8Array {
  if (!shapeIsPlain(data)) return lexEncode(data as never)
  let size = headLen(2) + KEY_LEN + headLen(data.e.length) + KEY_LEN + cidLen(data.l)
  for (const entry of data.e) {
    size += headLen(4) + KEY_LEN + bytesLen(entry.k) + KEY_LEN + headLen(entry.p) + KEY_LEN + cidLen(entry.t) + KEY_LEN + cidLen(entry.v)
  }
  const w = new CborWriter(size)
  w.map(2)
  w.text('e')
  w.array(data.e.length)
  for (const entry of data.e) {
    w.map(4)
    w.text('k')
    w.bytes(entry.k)
    w.text('p')
    w.uint(entry.p)
    w.text('t')
    w.cid(entry.t)
    w.text('v')
    w.cid(entry.v)
  }
  w.text('l')
  w.cid(data.l)
  return w.done()
}

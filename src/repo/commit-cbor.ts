/**
 * A repository commit's DAG-CBOR bytes, unsigned and signed, written by
 * src/repo/cbor-writer.ts, and the signing step that needs both.
 *
 * @atproto/repo's `signCommit` encodes the unsigned commit through lex-cbor
 * to sign it, and the signed one is encoded again to store it: two token-path
 * encodes per commit (~0.1 ms of a createRecord). The commit's keys are
 * fixed, and DAG-CBOR orders them shorter first, then bytewise: did, rev,
 * sig, data, prev, version. Anything else (a non-ASCII DID, an extra field)
 * goes to lex-cbor; the tests compare the bytes with lex-cbor's and the
 * signature with @atproto/repo's.
 *
 * @example
 * const { commit, bytes } = await signCommitBytes({ did, version: 3, rev, prev: null, data }, keypair)
 */
import type { Commit, UnsignedCommit } from '@atproto/repo'
import type { Keypair } from '@atproto/crypto'
import { encode as lexEncode } from '@atproto/lex-cbor'
import { isCid } from '@atproto/lex-data'
import { CborWriter, asciiLen, bytesLen, cidLen, fitsHead, headLen, isAscii } from './cbor-writer.js'

type CommitFields = UnsignedCommit | Commit

const FIELDS = new Set(['did', 'rev', 'sig', 'data', 'prev', 'version'])

function shapeIsPlain(c: CommitFields): boolean {
  for (const k of Object.keys(c)) if (!FIELDS.has(k)) return false
  return (
    isAscii(c.did) &&
    isAscii(c.rev) &&
    fitsHead(c.version) &&
    isCid(c.data) &&
    (c.prev === null || isCid(c.prev)) &&
    (c.sig === undefined || c.sig instanceof Uint8Array)
  )
}

export function encodeCommit(c: CommitFields): Uint8Array {
  if (!shapeIsPlain(c)) return lexEncode(c as never)
  const sig = c.sig
  const fields = sig ? 6 : 5
  const size =
    headLen(fields) +
    (asciiLen('did') + asciiLen(c.did)) +
    (asciiLen('rev') + asciiLen(c.rev)) +
    (sig ? asciiLen('sig') + bytesLen(sig) : 0) +
    (asciiLen('data') + cidLen(c.data)) +
    (asciiLen('prev') + cidLen(c.prev)) +
    (asciiLen('version') + headLen(c.version))
  const w = new CborWriter(size)
  w.map(fields)
  w.text('did')
  w.text(c.did)
  w.text('rev')
  w.text(c.rev)
  if (sig) {
    w.text('sig')
    w.bytes(sig)
  }
  w.text('data')
  w.cid(c.data)
  w.text('prev')
  w.cid(c.prev)
  w.text('version')
  w.uint(c.version)
  return w.done()
}

/** `signCommit` of @atproto/repo, with the signed commit's bytes beside it. */
export async function signCommitBytes(unsigned: UnsignedCommit, keypair: Keypair): Promise<{ commit: Commit; bytes: Uint8Array }> {
  const sig = await keypair.sign(encodeCommit(unsigned))
  const commit: Commit = { ...unsigned, sig: sig as Commit['sig'] }
  return { commit, bytes: encodeCommit(commit) }
}

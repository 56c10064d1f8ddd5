/**
 * A #commit firehose frame (header `{ op: 1, t: '#commit' }`, then the
 * body) written by src/repo/cbor-writer.ts in one pass.
 *
 * Why by hand: lex-cbor's encoder goes through a token list for any value,
 * and for a commit's body (a CAR of a few KiB, its ops, a dozen fields) that
 * was ~0.1 ms of every write's transaction. The body's keys are fixed, and
 * DAG-CBOR orders them shorter first, then bytewise: ops, rev, seq, repo,
 * time, blobs, since, blocks, commit, rebase, tooBig, prevData; each op's
 * keys cid, path, prev, action. A body of another shape (a non-ASCII
 * string, a seq past 2^32) returns null and lex-cbor encodes it; the tests
 * compare every byte with lex-cbor's.
 *
 * @example
 * const frame = encodeCommitFrame(body) ?? encodeFrame('#commit', body)
 */
import type { Cid } from '@atproto/lex-data'
import { encode as lexEncode } from '@atproto/lex-cbor'
import { CborWriter, asciiLen, bytesLen, cidLen, fitsHead, headLen, isAscii } from '../repo/cbor-writer.js'

/** The #commit body as the event log builds it. */
export interface CommitFrameBody {
  seq: number
  rebase: boolean
  tooBig: boolean
  repo: string
  commit: Cid
  rev: string
  since: string | null
  blocks: Uint8Array
  ops: { action: string; path: string; cid: Cid | null; prev?: Cid }[]
  blobs: Cid[]
  prevData?: Cid
  time: string
}

const HEADER = lexEncode({ op: 1, t: '#commit' } as never)

const opLen = (op: CommitFrameBody['ops'][number]) =>
  headLen(op.prev ? 4 : 3) +
  (asciiLen('cid') + cidLen(op.cid)) +
  (asciiLen('path') + asciiLen(op.path)) +
  (op.prev ? asciiLen('prev') + cidLen(op.prev) : 0) +
  (asciiLen('action') + asciiLen(op.action))

function plain(b: CommitFrameBody): boolean {
  if (!fitsHead(b.seq) || !isAscii(b.repo) || !isAscii(b.rev) || !isAscii(b.time) || (b.since !== null && !isAscii(b.since))) return false
  for (const op of b.ops) if (!isAscii(op.path) || !isAscii(op.action)) return false
  return true
}

/** The whole frame, or null for a body this writer does not take. */
export function encodeCommitFrame(b: CommitFrameBody): Uint8Array | null {
  if (!plain(b)) return null
  const fields = b.prevData ? 12 : 11
  let opsLen = headLen(b.ops.length)
  for (const op of b.ops) opsLen += opLen(op)
  let blobsLen = headLen(b.blobs.length)
  for (const blob of b.blobs) blobsLen += cidLen(blob)
  const size =
    HEADER.length +
    headLen(fields) +
    (asciiLen('ops') + opsLen) +
    (asciiLen('rev') + asciiLen(b.rev)) +
    (asciiLen('seq') + headLen(b.seq)) +
    (asciiLen('repo') + asciiLen(b.repo)) +
    (asciiLen('time') + asciiLen(b.time)) +
    (asciiLen('blobs') + blobsLen) +
    (asciiLen('since') + (b.since === null ? 1 : asciiLen(b.since))) +
    (asciiLen('blocks') + bytesLen(b.blocks)) +
    (asciiLen('commit') + cidLen(b.commit)) +
    (asciiLen('rebase') + 1) +
    (asciiLen('tooBig') + 1) +
    (b.prevData ? asciiLen('prevData') + cidLen(b.prevData) : 0)
  const w = new CborWriter(size)
  w.raw(HEADER)
  w.map(fields)
  w.text('ops')
  w.array(b.ops.length)
  for (const op of b.ops) {
    w.map(op.prev ? 4 : 3)
    w.text('cid')
    w.cid(op.cid)
    w.text('path')
    w.text(op.path)
    if (op.prev) {
      w.text('prev')
      w.cid(op.prev)
    }
    w.text('action')
    w.text(op.action)
  }
  w.text('rev')
  w.text(b.rev)
  w.text('seq')
  w.uint(b.seq)
  w.text('repo')
  w.text(b.repo)
  w.text('time')
  w.text(b.time)
  w.text('blobs')
  w.array(b.blobs.length)
  for (const blob of b.blobs) w.cid(blob)
  w.text('since')
  if (b.since === null) w.nil()
  else w.text(b.since)
  w.text('blocks')
  w.bytes(b.blocks)
  w.text('commit')
  w.cid(b.commit)
  w.text('rebase')
  w.bool(b.rebase)
  w.text('tooBig')
  w.bool(b.tooBig)
  if (b.prevData) {
    w.text('prevData')
    w.cid(b.prevData)
  }
  return w.done()
}

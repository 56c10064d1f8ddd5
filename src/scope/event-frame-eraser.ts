/**
 * Erasing records from the scoped stream's stored frames. A #commit frame
 * that created or updated a record carries the record's block: once the
 * record is deleted, that block must leave the event log too. The frame is
 * rewritten without the erased ops and their blocks; the signed commit block
 * and the MST nodes stay, so every op left in it still verifies (the
 * signature covers the commit, not the op list), and a follower replaying
 * it later sees the delete op that came after.
 *
 * Runs inside the deleting commit's SQLite transaction, which cannot wait
 * on a promise: hence the small synchronous CAR walk here instead of
 * @atproto/repo's async readCar.
 *
 * @example
 * eraseFromFrames(db, did, 'instagram.profile', new Set(['instagram.profile/self']), beforeSeq)
 */
import { decodeAll, encode } from '@atproto/lex-cbor'
import type { Cid } from '@atproto/lex-data'
import { base32 } from 'multiformats/bases/base32'
import type { Db } from '../db/open-database.js'
import { carBlock, carHeader, concat } from '../repo/car-writer.js'

interface Op {
  action: string
  path: string
  cid: Cid | null
}

/** Rewrites the frames of (did, scope) with seq below `beforeSeq` that wrote any of `paths`; returns how many changed. */
export function eraseFromFrames(db: Db, did: string, scope: string, paths: ReadonlySet<string>, beforeSeq: number): number {
  const rows = db.prepare('SELECT seq, frame FROM repo_seq WHERE did = ? AND scope = ? AND seq < ? AND event_type = ?').all(did, scope, beforeSeq, '#commit') as {
    seq: number
    frame: Uint8Array
  }[]
  const update = db.prepare('UPDATE repo_seq SET frame = ? WHERE seq = ?')
  let changed = 0
  for (const row of rows) {
    const [header, body] = [...decodeAll(row.frame)] as unknown as [Record<string, unknown>, Record<string, unknown> & { ops: Op[]; blocks: Uint8Array; commit: Cid }]
    const erased = body.ops.filter((op) => paths.has(op.path) && op.action !== 'delete')
    if (erased.length === 0) continue
    const kept = body.ops.filter((op) => !erased.includes(op))
    const keptCids = new Set(kept.flatMap((op) => (op.cid ? [op.cid.toString()] : [])))
    const drop = new Set(erased.flatMap((op) => (op.cid && !keptCids.has(op.cid.toString()) ? [op.cid.toString()] : [])))
    const blocks = readCarSync(body.blocks).filter((b) => !drop.has(b.cid))
    const car = concat([carHeader(body.commit), ...blocks.map((b) => carBlock(b.cidBytes, b.bytes))])
    const frame = Buffer.concat([encode(header as never), encode({ ...body, ops: kept, blocks: car } as never)])
    update.run(frame, row.seq)
    changed++
  }
  return changed
}

/** The blocks of a CAR v1 (header skipped), with each CID as its base32 string. */
export function readCarSync(car: Uint8Array): { cid: string; cidBytes: Uint8Array; bytes: Uint8Array }[] {
  let pos = 0
  const varint = () => {
    let n = 0
    let shift = 0
    for (;;) {
      const b = car[pos++]
      if (b === undefined) throw new Error('CAR ends inside a varint')
      n += (b & 0x7f) * 2 ** shift
      if (b < 0x80) return n
      shift += 7
    }
  }
  const headerLen = varint()
  pos += headerLen
  const out: { cid: string; cidBytes: Uint8Array; bytes: Uint8Array }[] = []
  while (pos < car.length) {
    const len = varint()
    const end = pos + len
    const start = pos
    varint() // CID version (1)
    varint() // codec
    varint() // multihash code
    const digestLen = varint()
    pos += digestLen
    const cidBytes = car.subarray(start, pos)
    out.push({ cid: base32.encode(cidBytes), cidBytes, bytes: car.subarray(pos, end) })
    pos = end
  }
  return out
}

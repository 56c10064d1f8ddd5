/**
 * Copies every blob the index knows from one store to another (data folder
 * → S3, or back), each at the same place (final or temporary key), each
 * checked against its CID as it streams: bytes that do not hash to their CID
 * are reported and not written. Resumable: a blob already at the
 * destination with the right size is skipped (re-hashed too with
 * `verifyExisting`), so running it again after an interruption, or after
 * the server switched stores, copies only what is missing.
 *
 * @example
 * const report = await moveBlobs({ index, from: disk, to: s3, onProgress: (done, total) => bar.update(done) })
 */
import type { BlobIndex, BlobRow } from './blob-index.js'
import { BlobCidMismatchError, type BlobStore } from './blob-store.js'
import { meterUpload } from './upload-meter.js'

export interface MoveReport {
  total: number
  copied: number
  /** Already at the destination (size matched, and the CID with verifyExisting). */
  skipped: number
  /** In the index but in neither place at the source. */
  missing: { did: string; cid: string }[]
  /** Could not be copied (bytes not matching their CID, store errors). */
  failed: { did: string; cid: string; error: string }[]
  bytes: number
}

const PAGE = 500

export async function moveBlobs(opts: {
  index: BlobIndex
  from: BlobStore
  to: BlobStore
  verifyExisting?: boolean
  onProgress?: (done: number, total: number) => void
}): Promise<MoveReport> {
  const { index, from, to } = opts
  const report: MoveReport = { total: index.count(), copied: 0, skipped: 0, missing: [], failed: [], bytes: 0 }
  let done = 0
  let after: BlobRow | null = null
  while (true) {
    const rows = index.page(after, PAGE)
    if (rows.length === 0) break
    for (const row of rows) {
      try {
        await moveOne(row, from, to, opts.verifyExisting ?? false, report)
      } catch (err) {
        report.failed.push({ did: row.did, cid: row.cid, error: err instanceof BlobCidMismatchError ? err.message : `${(err as Error).name}: ${(err as Error).message}` })
      }
      opts.onProgress?.(++done, Math.max(report.total, done))
    }
    after = rows[rows.length - 1]
  }
  return report
}

async function moveOne(row: BlobRow, from: BlobStore, to: BlobStore, verifyExisting: boolean, report: MoveReport): Promise<void> {
  // The server may have moved an upload to its final key since the row was read: look in both places.
  const places = row.tempKey ? [row, { did: row.did, cid: row.cid }] : [row]
  for (const loc of places) {
    if ((await to.size(loc)) === row.size && (!verifyExisting || (await hashesTo(to, loc)))) {
      report.skipped++
      return
    }
  }
  for (const loc of places) {
    const source = await from.read(loc)
    if (!source) continue
    const { size } = await to.write(loc, source)
    report.copied++
    report.bytes += size
    return
  }
  report.missing.push({ did: row.did, cid: row.cid })
}

async function hashesTo(store: BlobStore, loc: { did: string; cid: string; tempKey?: string | null }): Promise<boolean> {
  const stream = await store.read(loc)
  if (!stream) return false
  const metered = meterUpload(stream, { maxBytes: Number.MAX_SAFE_INTEGER, idleTimeoutMs: 0 })
  for await (const _ of metered.stream);
  return metered.result().cid === loc.cid
}

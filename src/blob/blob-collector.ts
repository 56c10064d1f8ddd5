/**
 * The blob collector: a background task that deletes
 * - uploads no record referenced within the upload TTL (HEARTH_BLOB_TEMP_TTL),
 * - blobs whose last referencing record went away, a grace period
 *   (HEARTH_BLOB_GRACE) after that,
 * - a deleted account's objects, when deleting them at removal failed,
 * - leftovers in the temporary area no index row names (a crash mid-upload),
 * and finishes moving referenced uploads to their final key. Work goes in
 * batches of `batchSize` rows, at most `maxBatches` per kind and run, so a
 * run never holds the database or the event loop for long; what is left
 * waits for the next run. Each row is re-checked as it is deleted, so a
 * record that claims a blob meanwhile keeps it.
 *
 * @example
 * const collector = new BlobCollector({ index, store, logger, metrics, tempTtlSec: 3600, graceSec: 3600 })
 * collector.start(300_000)
 * const report = await collector.runNow()
 * await collector.stop()
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { Logger } from '../logger.js'
import type { BlobIndex, BlobRow } from './blob-index.js'
import type { BlobMetrics } from './blob-metrics.js'
import type { BlobService } from './blob-service.js'
import type { BlobStore } from './blob-store.js'

export interface CollectionReport {
  expiredUploads: number
  dereferenced: number
  deletedAccounts: number
  strayUploads: number
  /** Referenced uploads moved to their final key. */
  moved: number
  bytes: number
}

export interface CollectOptions {
  /** The clock (tests, and the operator asking "as of"). */
  now?: Date
  /** Collect what has been unreferenced this long, instead of the configured TTL and grace. */
  olderThanSec?: number
}

export interface Orphan {
  did: string
  cid: string
  size: number
  kind: 'upload' | 'dereferenced'
  /** Since when nothing references it. */
  since: string
  /** Whether a run now would delete it. */
  due: boolean
}

export class BlobCollector {
  private timer: NodeJS.Timeout | null = null
  private running: Promise<CollectionReport> | null = null
  private stopping = false

  constructor(
    private deps: {
      index: BlobIndex
      store: BlobStore
      blobs: BlobService
      logger: Logger
      metrics: BlobMetrics
      tempTtlSec: number
      graceSec: number
      batchSize?: number
      maxBatches?: number
    },
  ) {}

  /** Runs every `intervalMs` (the first run one interval after start). */
  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.runNow().catch(() => {}), intervalMs)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    this.stopping = true
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.running?.catch(() => {})
  }

  /** One run now; concurrent calls share it. Logs what it removed. */
  runNow(opts: CollectOptions = {}): Promise<CollectionReport> {
    if (!this.running) {
      this.running = this.run(opts)
        .then(
          (report) => {
            this.deps.metrics.run('ok')
            const removed = report.expiredUploads + report.dereferenced + report.deletedAccounts + report.strayUploads
            if (removed || report.moved) this.deps.logger.info({ ...report }, 'blob collector removed unreferenced blobs')
            return report
          },
          (err) => {
            this.deps.metrics.run('failed')
            this.deps.logger.error({ err }, 'blob collection failed')
            throw err
          },
        )
        .finally(() => {
          this.running = null
        })
    }
    return this.running
  }

  /** What is unreferenced now, and whether a run would delete it (the operator's list). */
  orphans(opts: CollectOptions & { limit?: number } = {}): Orphan[] {
    const { uploadCutoff, graceCutoff } = this.cutoffs(opts)
    const far = '9999-12-31T23:59:59.999Z'
    const limit = opts.limit ?? 1000
    const uploads = this.deps.index.expiredUploads(far, limit).map((r) => orphan(r, 'upload', r.createdAt, uploadCutoff))
    const deref = this.deps.index.dereferenced(far, limit).map((r) => orphan(r, 'dereferenced', r.unreferencedSince!, graceCutoff))
    return [...uploads, ...deref.filter((d) => !uploads.some((u) => u.did === d.did && u.cid === d.cid))]
  }

  private cutoffs(opts: CollectOptions): { uploadCutoff: string; graceCutoff: string; now: Date } {
    const now = opts.now ?? new Date()
    const ago = (sec: number) => new Date(now.getTime() - sec * 1000).toISOString()
    return {
      now,
      uploadCutoff: ago(opts.olderThanSec ?? this.deps.tempTtlSec),
      graceCutoff: ago(opts.olderThanSec ?? this.deps.graceSec),
    }
  }

  private async run(opts: CollectOptions): Promise<CollectionReport> {
    const { index, store, blobs, metrics } = this.deps
    const batchSize = this.deps.batchSize ?? 100
    const maxBatches = this.deps.maxBatches ?? 50
    const { uploadCutoff, graceCutoff } = this.cutoffs(opts)
    const report: CollectionReport = { expiredUploads: 0, dereferenced: 0, deletedAccounts: 0, strayUploads: 0, moved: 0, bytes: 0 }

    const collect = async (kind: 'upload' | 'dereferenced', cutoff: string, pick: () => BlobRow[]) => {
      for (let b = 0; b < maxBatches && !this.stopping; b++) {
        const rows = pick()
        let removed = 0
        for (const row of rows) {
          // The row goes first, in a check-and-delete: a record claiming the blob now keeps it.
          if (!index.removeIfOrphan(row, kind, cutoff)) continue
          await store.delete(row)
          removed++
          report.bytes += row.size
          metrics.collected(kind === 'upload' ? 'expired_upload' : 'dereferenced', 1, row.size)
        }
        if (kind === 'upload') report.expiredUploads += removed
        else report.dereferenced += removed
        if (rows.length < batchSize || removed === 0) break
        await nextTurn()
      }
    }
    await collect('upload', uploadCutoff, () => index.expiredUploads(uploadCutoff, batchSize))
    await collect('dereferenced', graceCutoff, () => index.dereferenced(graceCutoff, batchSize))

    for (let b = 0; b < maxBatches && !this.stopping; b++) {
      const rows = index.referencedUploads(batchSize)
      if (rows.length === 0) break
      for (const row of rows) await blobs.promote(row.did, [row.cid])
      const still = rows.filter((r) => index.get(r.did, r.cid)?.tempKey).length
      report.moved += rows.length - still
      if (still === rows.length) break // the store refuses: try again next run
      await nextTurn()
    }

    for (const did of index.pendingAccountPurges(batchSize * maxBatches)) {
      if (this.stopping) break
      if ((await blobs.purgeAccount(did)) !== null) report.deletedAccounts++
    }

    // Leftovers no row names: an upload the server stopped in the middle of.
    const strayCutoff = new Date(uploadCutoff).getTime()
    const strayLimit = batchSize * maxBatches
    for await (const entry of store.listTemp()) {
      if (this.stopping || report.strayUploads >= strayLimit) break
      if (entry.modifiedAt.getTime() >= strayCutoff || index.hasTempKey(entry.tempKey)) continue
      await entry.delete()
      report.strayUploads++
      metrics.collected('stray_upload', 1)
    }
    return report
  }
}

function orphan(r: BlobRow, kind: Orphan['kind'], since: string, cutoff: string): Orphan {
  return { did: r.did, cid: r.cid, size: r.size, kind, since, due: since < cutoff }
}

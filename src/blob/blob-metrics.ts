/**
 * Blob figures for /metrics, in Hearth's registry: what the collector
 * removed (by why), uploads refused (by why), and, read at scrape time, how
 * many blobs are unreferenced now.
 *
 * @example
 * const blobMetrics = new BlobMetrics(ctx.metrics.registry, () => blobIndex.countUnreferenced())
 * blobMetrics.collected('expired_upload', 1, 2048)
 */
import { Counter, Gauge, type Registry } from 'prom-client'

export type CollectReason = 'expired_upload' | 'dereferenced' | 'deleted_account' | 'stray_upload'
export type UploadFailure = 'too_large' | 'stalled' | 'bad_body' | 'store'

export class BlobMetrics {
  private removed: Counter<'reason'>
  private removedBytes: Counter<'reason'>
  private runs: Counter<'result'>
  private uploadFailures: Counter<'reason'>

  constructor(registry: Registry, unreferenced: () => { uploads: number; dereferenced: number } | null) {
    const registers = [registry]
    this.removed = new Counter({ name: 'hearth_blobs_collected_total', help: 'Blobs the collector deleted, by reason', labelNames: ['reason'], registers })
    this.removedBytes = new Counter({ name: 'hearth_blob_bytes_collected_total', help: 'Bytes of the blobs the collector deleted, by reason', labelNames: ['reason'], registers })
    this.runs = new Counter({ name: 'hearth_blob_collector_runs_total', help: 'Runs of the blob collector, by result', labelNames: ['result'], registers })
    this.uploadFailures = new Counter({ name: 'hearth_blob_upload_failures_total', help: 'Uploads refused or failed, by reason', labelNames: ['reason'], registers })
    new Gauge({
      name: 'hearth_blobs_unreferenced',
      help: 'Blobs no record references now: uploads waiting for one, and blobs in their grace period',
      labelNames: ['kind'],
      registers,
      collect() {
        const counts = unreferenced()
        if (!counts) return
        this.set({ kind: 'upload' }, counts.uploads)
        this.set({ kind: 'dereferenced' }, counts.dereferenced)
      },
    })
  }

  collected(reason: CollectReason, count: number, bytes = 0): void {
    if (count) this.removed.inc({ reason }, count)
    if (bytes) this.removedBytes.inc({ reason }, bytes)
  }

  run(result: 'ok' | 'failed'): void {
    this.runs.inc({ result })
  }

  uploadFailed(reason: UploadFailure): void {
    this.uploadFailures.inc({ reason })
  }
}

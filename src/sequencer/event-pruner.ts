/**
 * Retention for the event log: rows older than the retention window are
 * deleted in small batches, so writers never wait long behind a prune. `seq`
 * is unaffected: the log's AUTOINCREMENT counter keeps the highest value ever
 * issued, even when every row is gone.
 *
 * @example
 * const pruner = new EventPruner(eventLog, { retentionHours: 72 })
 * pruner.start(10 * 60_000)
 * await pruner.pruneNow()
 * pruner.stop()
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { EventLog } from './event-log.js'

const BATCH = 1000

export class EventPruner {
  private timer: NodeJS.Timeout | null = null
  private running: Promise<number> | null = null
  private stopping = false

  constructor(
    private eventLog: EventLog,
    private opts: { retentionHours: number; onError?: (err: unknown) => void },
  ) {}

  /** Prunes now, then every `intervalMs`. */
  start(intervalMs: number): void {
    const tick = () => void this.pruneNow().catch((err) => this.opts.onError?.(err))
    tick()
    this.timer = setInterval(tick, intervalMs)
    this.timer.unref()
  }

  /**
   * Deletes the rows written before `now` minus the retention window and
   * returns how many went. Concurrent calls share one run.
   */
  pruneNow(now: Date = new Date()): Promise<number> {
    if (!this.running) {
      this.running = this.prune(now).finally(() => {
        this.running = null
      })
    }
    return this.running
  }

  /** Stops the timer and waits for a prune in progress. */
  async stop(): Promise<void> {
    this.stopping = true
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.running?.catch(() => {})
  }

  private async prune(now: Date): Promise<number> {
    const cutoff = new Date(now.getTime() - this.opts.retentionHours * 3600_000).toISOString()
    const upTo = this.eventLog.lastSeqBefore(cutoff)
    let from = this.eventLog.oldestSeq()
    if (upTo === null || from === null) return 0
    let deleted = 0
    while (from <= upTo) {
      // The database closes right after stop(): leave the rest for the next start.
      if (this.stopping) break
      const to = Math.min(from + BATCH - 1, upTo)
      deleted += this.eventLog.deleteRange(from, to)
      from = to + 1
      await nextTurn()
    }
    return deleted
  }
}

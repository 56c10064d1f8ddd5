/**
 * Hearth's Prometheus metrics, in a registry of their own (never prom-client's
 * global one, so two servers in one process do not collide).
 *
 * - HTTP: requests by method, route and status; latency histogram.
 * - Writes: events appended to the log by type, record operations by action
 *   (counted from the event log, so public writes and ingest both count).
 * - Firehose: the subscription code reports into `metrics.firehose`.
 * - Storage: database size, accounts by status, newest seq (read at scrape).
 *
 * @example
 * const metrics = new HearthMetrics()
 * metrics.watchDatabase(db, eventLog, accounts)
 * const text = await metrics.text()
 */
import fs from 'node:fs'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Db } from '../db/open-database.js'
import type { EventLog, StoredEvent } from '../sequencer/event-log.js'
import type { AccountStore } from '../account/account-store.js'

/**
 * What the firehose reports. Call `subscriberOpened` when a subscription
 * starts and `subscriberClosed` when it ends (with why: 'client',
 * 'ConsumerTooSlow', 'shutdown', …); `framesSent` after sending;
 * `setLagSource` once, with a function giving each live subscriber's lag in
 * events (newest seq minus the last seq it was sent), read at every scrape.
 */
export interface FirehoseMetrics {
  subscriberOpened(): void
  subscriberClosed(reason?: string): void
  framesSent(count: number, bytes?: number): void
  setLagSource(source: () => Iterable<number>): void
}

export class HearthMetrics {
  readonly registry = new Registry()
  readonly httpRequests: Counter<'method' | 'route' | 'status'>
  readonly httpDuration: Histogram<'method' | 'route'>
  readonly rateLimited: Counter<'limit'>
  readonly firehose: FirehoseMetrics & { subscriberCount(): number }
  private events: Counter<'type' | 'repo'>
  private recordWrites: Counter<'action'>
  private unwatch: (() => void) | null = null

  constructor() {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry })
    this.httpRequests = new Counter({
      name: 'hearth_http_requests_total',
      help: 'HTTP requests answered, by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    })
    this.httpDuration = new Histogram({
      name: 'hearth_http_request_duration_seconds',
      help: 'Time from request to response headers, by method and route',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    })
    this.rateLimited = new Counter({
      name: 'hearth_rate_limited_total',
      help: 'Requests refused with 429, by the limit that refused them',
      labelNames: ['limit'],
      registers,
    })
    this.events = new Counter({
      name: 'hearth_events_total',
      help: 'Events appended to the event log, by type and repository kind (public or scope)',
      labelNames: ['type', 'repo'],
      registers,
    })
    this.recordWrites = new Counter({
      name: 'hearth_record_writes_total',
      help: 'Record operations committed, by action',
      labelNames: ['action'],
      registers,
    })
    this.firehose = firehoseMetrics(this.registry)
  }

  /** Counts appended events and reads database figures at scrape time. */
  watchDatabase(db: Db, eventLog: EventLog, accounts: AccountStore): void {
    this.unwatch?.()
    this.unwatch = eventLog.onAppend((events) => this.countEvents(events))
    const registers = [this.registry]
    new Gauge({
      name: 'hearth_database_size_bytes',
      help: 'Size of the SQLite database file plus its write-ahead log',
      registers,
      collect() {
        if (!db.open) return
        this.set(databaseSizeBytes(db))
      },
    })
    new Gauge({
      name: 'hearth_event_log_last_seq',
      help: 'Newest seq in the event log',
      registers,
      collect() {
        if (!db.open) return
        this.set(eventLog.lastSeq())
      },
    })
    new Gauge({
      name: 'hearth_accounts',
      help: 'Accounts by status',
      labelNames: ['status'],
      registers,
      collect() {
        if (!db.open) return
        this.reset()
        for (const row of accounts.countByStatus()) this.set({ status: row.status }, row.count)
      },
    })
  }

  /** The exposition text and its content type. */
  async text(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType }
  }

  close(): void {
    this.unwatch?.()
    this.unwatch = null
  }

  private countEvents(events: StoredEvent[]): void {
    for (const e of events) {
      this.events.inc({ type: e.eventType, repo: e.scope ? 'scope' : 'public' })
      // The committer hands over the op actions: decoding the frame again cost ~4% of a write.
      for (const action of e.opActions ?? []) this.recordWrites.inc({ action })
    }
  }
}

function firehoseMetrics(registry: Registry): FirehoseMetrics & { subscriberCount(): number } {
  const registers = [registry]
  let lagSource: (() => Iterable<number>) | null = null
  let open = 0
  const subscribers = new Gauge({ name: 'hearth_firehose_subscribers', help: 'Firehose subscriptions open now', registers })
  const closed = new Counter({
    name: 'hearth_firehose_disconnects_total',
    help: 'Firehose subscriptions ended, by reason',
    labelNames: ['reason'],
    registers,
  })
  const frames = new Counter({ name: 'hearth_firehose_frames_sent_total', help: 'Frames sent to firehose subscribers', registers })
  const bytes = new Counter({ name: 'hearth_firehose_bytes_sent_total', help: 'Bytes sent to firehose subscribers', registers })
  new Gauge({
    name: 'hearth_firehose_lag_max_events',
    help: 'Largest lag of any firehose subscriber, in events behind the newest seq',
    registers,
    collect() {
      let max = 0
      for (const lag of lagSource?.() ?? []) max = Math.max(max, lag)
      this.set(max)
    },
  })
  new Histogram({
    name: 'hearth_firehose_lag_events',
    help: 'Lag of each firehose subscriber at scrape time, in events',
    buckets: [0, 1, 10, 100, 1000, 10000, 100000],
    registers,
    // Re-observed at every scrape: the current spread, not history.
    collect() {
      this.reset()
      for (const lag of lagSource?.() ?? []) this.observe(lag)
    },
  })
  return {
    subscriberOpened: () => {
      open++
      subscribers.inc()
    },
    subscriberClosed: (reason = 'client') => {
      open--
      subscribers.dec()
      closed.inc({ reason })
    },
    framesSent: (count, size) => {
      frames.inc(count)
      if (size) bytes.inc(size)
    },
    setLagSource: (source) => {
      lagSource = source
    },
    subscriberCount: () => open,
  }
}

/** Bytes the database occupies on disk: the main file (pages) and its WAL. */
export function databaseSizeBytes(db: Db): number {
  const pageSize = db.pragma('page_size', { simple: true }) as number
  const pageCount = db.pragma('page_count', { simple: true }) as number
  let wal = 0
  try {
    wal = fs.statSync(`${db.name}-wal`).size
  } catch {
    // no WAL file yet
  }
  return pageSize * pageCount + wal
}

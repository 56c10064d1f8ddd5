/**
 * Tells relays where to find this server: POST com.atproto.sync.requestCrawl
 * `{ hostname }` to every configured crawler at start, and again when an
 * account is created, but never more often than once per interval (calls in
 * between fold into one, sent when the interval is up). A relay that is down
 * costs a log line, nothing more.
 *
 * @example
 * const crawl = new CrawlRequester({ crawlers: ['https://bsky.network'], hostname: 'pds.example.com', intervalMs: 1_200_000, logger })
 * crawl.requestNow()
 * crawl.notify() // a new account
 * crawl.stop()
 */
import type { Logger } from '../logger.js'

export interface CrawlRequesterOptions {
  /** Relay origins, e.g. "https://bsky.network". */
  crawlers: string[]
  /** What relays should crawl: this server's host (with its port when not the default one). */
  hostname: string
  /** Least time between two rounds of requests. */
  intervalMs: number
  logger: Logger
  /** How long one relay may take to answer. */
  timeoutMs?: number
}

export class CrawlRequester {
  private lastSentAt = -Infinity
  private pending: NodeJS.Timeout | null = null
  private inFlight = new Set<Promise<void>>()
  private stopped = false

  constructor(private opts: CrawlRequesterOptions) {}

  /** Sends a round now if the interval allows, else makes sure one goes when it does. */
  notify(): void {
    if (this.stopped || this.opts.crawlers.length === 0 || this.pending) return
    const wait = this.lastSentAt + this.opts.intervalMs - Date.now()
    if (wait <= 0) {
      this.sendRound()
      return
    }
    this.pending = setTimeout(() => {
      this.pending = null
      this.sendRound()
    }, wait)
    this.pending.unref()
  }

  /** The start-up round: same as notify(). */
  requestNow(): void {
    this.notify()
  }

  /** Cancels a waiting round and waits for requests in flight. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.pending) clearTimeout(this.pending)
    this.pending = null
    await Promise.all([...this.inFlight])
  }

  private sendRound(): void {
    if (this.stopped) return
    this.lastSentAt = Date.now()
    for (const crawler of this.opts.crawlers) {
      const p = this.requestCrawl(crawler).finally(() => this.inFlight.delete(p))
      this.inFlight.add(p)
    }
  }

  private async requestCrawl(crawler: string): Promise<void> {
    const { hostname, logger, timeoutMs = 10_000 } = this.opts
    try {
      const res = await fetch(`${crawler}/xrpc/com.atproto.sync.requestCrawl`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ hostname }),
        signal: AbortSignal.timeout(timeoutMs),
      })
      if (!res.ok) {
        const text = await res.text().catch(() => '')
        logger.warn({ crawler, status: res.status, body: text.slice(0, 300) }, 'relay refused requestCrawl')
      } else {
        await res.body?.cancel()
        logger.info({ crawler, hostname }, 'requested crawl')
      }
    } catch (err) {
      logger.warn({ crawler, err: (err as Error).message }, 'requestCrawl failed')
    }
  }
}

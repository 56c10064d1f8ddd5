/**
 * The sequencer's background work while the server runs: pruning the event
 * log past its retention window, and asking relays to crawl (at start and
 * whenever a new public repository appears).
 *
 * @example
 * const tasks = startSequencerTasks(ctx)
 * // …on shutdown, before the database closes:
 * await tasks.stop()
 */
import type { Config } from '../config.js'
import type { Logger } from '../logger.js'
import type { EventLog } from './event-log.js'
import { EventPruner } from './event-pruner.js'
import { CrawlRequester } from './crawl-requester.js'

const PRUNE_EVERY_MS = 10 * 60_000

export interface SequencerTasks {
  pruner: EventPruner
  crawlRequester: CrawlRequester
  stop(): Promise<void>
}

export function startSequencerTasks(deps: { config: Config; eventLog: EventLog; logger: Logger }): SequencerTasks {
  const { config, eventLog, logger } = deps
  const pruner = new EventPruner(eventLog, {
    retentionHours: config.firehoseRetentionHours,
    onError: (err) => logger.error({ err }, 'pruning the event log failed'),
  })
  pruner.start(PRUNE_EVERY_MS)

  const crawlRequester = new CrawlRequester({
    crawlers: config.crawlers,
    hostname: new URL(config.publicUrl).host,
    intervalMs: config.crawlIntervalSec * 1000,
    logger,
  })
  crawlRequester.requestNow()
  const unlisten = eventLog.onAppend((events) => {
    if (events.some((e) => e.newRepo)) crawlRequester.notify()
  })

  return {
    pruner,
    crawlRequester,
    async stop() {
      unlisten()
      await Promise.all([pruner.stop(), crawlRequester.stop()])
    },
  }
}

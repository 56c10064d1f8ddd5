/**
 * Firehose fan-out: every event the log appends goes to every live
 * subscriber as its stored frame; a subscriber with a cursor first replays
 * the log from there and then turns live without a gap or a duplicate.
 *
 * Why the cut-over is exact: the log is SQLite in this process, its reads are
 * synchronous, and its listeners run synchronously right after each commit.
 * So the replay's last read (the one that finds nothing newer) and the step
 * that adds the subscriber to the live set happen in one turn of the event
 * loop, and no commit can fall between them. No cut-over buffer is needed,
 * and a replay is paced by the subscriber's own socket, never by memory.
 *
 * A live subscriber whose unsent bytes pass `maxBufferBytes` gets the error
 * frame ConsumerTooSlow and is closed; the others never wait for it.
 *
 * @example
 * const fanout = new FirehoseFanout(eventLog, { maxBufferBytes: 8 << 20 })
 * const sub = fanout.subscribe(sink, { cursor: 1200 })
 * // …when the socket closes:
 * sub.end()
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import { encodeErrorFrame, encodeFrame, type EventLog, type StoredEvent } from './event-log.js'

/** Where a subscriber's frames go: a WebSocket, seen through the little the fan-out needs. */
export interface FrameSink {
  send(frame: Uint8Array): void
  /** Bytes queued for this subscriber and not yet handed to the network. */
  readonly bufferedAmount: number
  /** Resolves once the queued bytes have gone out, or the sink has closed. */
  waitForDrain(): Promise<void>
  close(code: number, reason: string): void
}

export interface SubscribeOptions {
  /** Replay events after this seq, then go live; undefined means live only. */
  cursor?: number
  /** Scopes whose rows this subscriber reads ('' is the public repo); a function is asked again for every replay page. */
  scopes?: readonly string[] | (() => readonly string[])
  /** Checked for every event at the moment of delivery (grants can change while a socket is open). */
  accepts?: (event: StoredEvent) => boolean
  /** This subscriber's own cut-off, instead of the fan-out's (a scoped stream carries whole ingest batches in one frame). */
  maxBufferBytes?: number
}

export interface Subscription {
  /** Stops delivery; call when the socket has closed. */
  end(): void
}

/** What the fan-out reports (the shape of HearthMetrics.firehose). */
export interface FanoutMetrics {
  subscriberOpened(): void
  subscriberClosed(reason?: string): void
  framesSent(count: number, bytes?: number): void
  setLagSource(source: () => Iterable<number>): void
}

export interface FanoutStats {
  live: number
  replaying: number
  /** Subscribers cut off as too slow since start. */
  cutOff: number
}

/** WebSocket close codes the fan-out uses. */
export const CloseCode = { GoingAway: 1001, Policy: 1008 } as const

const REPLAY_PAGE = 100

interface Subscriber {
  sink: FrameSink
  scopes: () => readonly string[]
  maxBufferBytes: number
  accepts: (event: StoredEvent) => boolean
  lastSent: number
  ended: boolean
  /** Counted in the subscriber gauge (a refused cursor never is). */
  opened: boolean
}

export class FirehoseFanout {
  private live = new Set<Subscriber>()
  private replaying = new Set<Subscriber>()
  private cutOffCount = 0
  private unlisten: (() => void) | null
  private stopped = false
  private readonly maxBufferBytes: number
  /** A replay pauses when this much is queued, and resumes once it has gone out. */
  private readonly replayHighWater: number

  private onError: (err: unknown) => void
  private metrics: FanoutMetrics | undefined

  constructor(
    private eventLog: EventLog,
    opts: { maxBufferBytes: number; onError?: (err: unknown) => void; metrics?: FanoutMetrics },
  ) {
    this.maxBufferBytes = opts.maxBufferBytes
    this.replayHighWater = Math.min(Math.floor(opts.maxBufferBytes / 2), 1 << 20)
    this.onError = opts.onError ?? (() => {})
    this.metrics = opts.metrics
    this.metrics?.setLagSource(() => this.lags())
    this.unlisten = eventLog.onAppend((events) => this.broadcast(events))
  }

  /**
   * Adds a subscriber. A cursor beyond the newest event gets the error frame
   * FutureCursor and a close; a cursor whose next events were pruned gets
   * `#info OutdatedCursor` and the log from the oldest event kept.
   */
  subscribe(sink: FrameSink, opts: SubscribeOptions = {}): Subscription {
    const given = opts.scopes ?? ['']
    const scopes = typeof given === 'function' ? given : () => given
    const scopeSet = new Set(typeof given === 'function' ? [] : given)
    const accepts = opts.accepts ?? (typeof given === 'function' ? (e: StoredEvent) => given().includes(e.scope) : (e: StoredEvent) => scopeSet.has(e.scope))
    const maxBufferBytes = opts.maxBufferBytes ?? this.maxBufferBytes
    const sub: Subscriber = { sink, scopes, maxBufferBytes, accepts, lastSent: this.eventLog.lastSeq(), ended: false, opened: false }
    const handle = { end: () => this.remove(sub, 'client') }
    if (this.stopped) {
      sink.close(CloseCode.GoingAway, 'server shutting down')
      sub.ended = true
      return handle
    }
    if (opts.cursor === undefined) {
      this.open(sub)
      this.live.add(sub)
      return handle
    }
    if (opts.cursor > sub.lastSent) {
      sink.send(encodeErrorFrame('FutureCursor', `Cursor ${opts.cursor} is ahead of the newest event (${sub.lastSent})`))
      sink.close(CloseCode.Policy, 'FutureCursor')
      sub.ended = true
      return handle
    }
    sub.lastSent = opts.cursor
    this.open(sub)
    this.skipPruned(sub)
    this.replaying.add(sub)
    void this.replay(sub)
    return handle
  }

  stats(): FanoutStats {
    return { live: this.live.size, replaying: this.replaying.size, cutOff: this.cutOffCount }
  }

  /** Stops listening to the log and closes every subscriber with 1001 (going away). */
  stop(): void {
    if (this.stopped) return
    this.stopped = true
    this.unlisten?.()
    this.unlisten = null
    for (const sub of [...this.live, ...this.replaying]) {
      this.remove(sub, 'shutdown')
      sub.sink.close(CloseCode.GoingAway, 'server shutting down')
    }
  }

  private broadcast(events: StoredEvent[]): void {
    let frames = 0
    let bytes = 0
    for (const sub of this.live) {
      try {
        for (const e of events) {
          if (e.seq <= sub.lastSent) continue
          sub.lastSent = e.seq
          if (!sub.accepts(e)) continue
          sub.sink.send(e.frame)
          frames++
          bytes += e.frame.byteLength
        }
        if (sub.sink.bufferedAmount > sub.maxBufferBytes) this.cutOff(sub)
      } catch (err) {
        // One broken socket must not stop delivery to the rest.
        this.remove(sub, 'error')
        this.onError(err)
      }
    }
    if (frames > 0) this.metrics?.framesSent(frames, bytes)
  }

  private async replay(sub: Subscriber): Promise<void> {
    try {
      for (;;) {
        if (sub.ended) return
        const page = this.eventLog.eventsAfter(sub.lastSent, REPLAY_PAGE, sub.scopes())
        if (page.length === 0) {
          // Same turn of the event loop as the read above: nothing can have been committed in between.
          this.replaying.delete(sub)
          this.live.add(sub)
          return
        }
        if (page[0].seq > sub.lastSent + 1) this.skipPruned(sub)
        for (const e of page) {
          if (sub.ended) return
          if (e.seq <= sub.lastSent) continue
          if (sub.accepts(e)) {
            sub.sink.send(e.frame)
            this.metrics?.framesSent(1, e.frame.byteLength)
          }
          sub.lastSent = e.seq
          while (!sub.ended && sub.sink.bufferedAmount > this.replayHighWater) await sub.sink.waitForDrain()
        }
        // Let writes and other sockets run between pages: a long replay must not stall the server.
        await nextTurn()
      }
    } catch (err) {
      if (sub.ended) return
      this.remove(sub, 'error')
      sub.sink.close(1011, 'internal error')
      this.onError(err)
    }
  }

  /** Tells the subscriber when events after its position were pruned, and moves it to the oldest kept. */
  private skipPruned(sub: Subscriber): void {
    const oldest = this.eventLog.oldestSeq()
    const newest = this.eventLog.lastSeq()
    const firstKept = oldest ?? newest + 1
    if (sub.lastSent >= firstKept - 1 || sub.lastSent >= newest) return
    sub.sink.send(
      encodeFrame('#info', {
        name: 'OutdatedCursor',
        message: `Events after ${sub.lastSent} are no longer kept; continuing from ${firstKept}`,
      }),
    )
    sub.lastSent = firstKept - 1
  }

  private cutOff(sub: Subscriber): void {
    this.remove(sub, 'ConsumerTooSlow')
    this.cutOffCount++
    sub.sink.send(encodeErrorFrame('ConsumerTooSlow', 'Too many events waiting to be sent: reconnect with a cursor'))
    sub.sink.close(CloseCode.Policy, 'ConsumerTooSlow')
  }

  private open(sub: Subscriber): void {
    sub.opened = true
    this.metrics?.subscriberOpened()
  }

  private remove(sub: Subscriber, reason: string): void {
    if (sub.ended) return
    sub.ended = true
    this.live.delete(sub)
    this.replaying.delete(sub)
    if (sub.opened) this.metrics?.subscriberClosed(reason)
  }

  private *lags(): Iterable<number> {
    const newest = this.eventLog.lastSeq()
    for (const sub of this.live) yield newest - sub.lastSent
    for (const sub of this.replaying) yield newest - sub.lastSent
  }
}

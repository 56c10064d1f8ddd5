/**
 * Events for the host, in-process: what the public firehose carries, decoded,
 * handed over after the transaction that wrote it has committed (the event
 * log's listeners run after COMMIT), in seq order. Writes from every door
 * count: the in-process API, XRPC clients, third-party apps, the CLI.
 * Scope events are not here (they never reach the public firehose either).
 *
 * `accountCreated` fires once per new account (its repository's first
 * commit), whoever made it: GitHub/Google sign-in, createAccount, the host.
 *
 * A handler's exception is logged and does not reach the writer: the write
 * has already happened. Handlers run one after another; a slow async
 * handler does not hold up the next event (each is started in order).
 *
 * @example
 * pds.on('commit', (e) => { for (const op of e.ops) console.log(op.action, op.uri, op.record) })
 * for await (const e of pds.events('commit')) …
 */
import { decodeAll } from '@atproto/lex-cbor'
import { cborToLexRecord, readCar } from '@atproto/repo'
import { lexToJson } from '@atproto/lexicon'
import type { EventLog, StoredEvent } from '../sequencer/event-log.js'
import type { Logger } from '../logger.js'
import type { RecordValue } from './repo-api.js'

export interface CommitEventOp {
  action: 'create' | 'update' | 'delete'
  collection: string
  rkey: string
  uri: string
  /** The record's new CID; null for a delete. */
  cid: string | null
  /** The record as JSON (creates and updates). */
  record?: RecordValue
}

export interface CommitEvent {
  seq: number
  time: string
  did: string
  rev: string
  since: string | null
  /** CID of the signed commit. */
  commit: string
  ops: CommitEventOp[]
  /** The frame's CAR slice (commit, changed MST nodes, records), as relays get it. */
  blocks: Uint8Array
}

export interface AccountEvent {
  seq: number
  time: string
  did: string
  active: boolean
  status?: string
}

export interface IdentityEvent {
  seq: number
  time: string
  did: string
  handle?: string
}

export interface AccountCreatedEvent {
  did: string
  handle: string
}

export interface HostEventMap {
  commit: CommitEvent
  account: AccountEvent
  identity: IdentityEvent
  accountCreated: AccountCreatedEvent
}

export type HostEventName = keyof HostEventMap
type Handler<K extends HostEventName> = (event: HostEventMap[K]) => void | Promise<void>

export class HostEvents {
  private handlers = new Map<HostEventName, Set<Handler<any>>>()
  private unlisten: () => void

  constructor(
    eventLog: EventLog,
    private handleOf: (did: string) => string | null,
    private logger: Logger,
  ) {
    this.unlisten = eventLog.onAppend((events) => this.deliver(events))
  }

  on<K extends HostEventName>(name: K, handler: Handler<K>): () => void {
    let set = this.handlers.get(name)
    if (!set) this.handlers.set(name, (set = new Set()))
    set.add(handler)
    return () => set.delete(handler)
  }

  /** The events of one kind as an async iterator; `return()` (leaving a for-await loop) unsubscribes. */
  iterate<K extends HostEventName>(name: K): AsyncIterableIterator<HostEventMap[K]> {
    const queue: HostEventMap[K][] = []
    let wake: (() => void) | null = null
    let done = false
    const off = this.on(name, (e) => {
      queue.push(e)
      wake?.()
    })
    const iterator: AsyncIterableIterator<HostEventMap[K]> = {
      async next() {
        while (!done && queue.length === 0) await new Promise<void>((r) => (wake = r))
        wake = null
        if (queue.length > 0) return { value: queue.shift()!, done: false }
        return { value: undefined, done: true }
      },
      async return() {
        done = true
        off()
        wake?.()
        return { value: undefined, done: true }
      },
      [Symbol.asyncIterator]() {
        return iterator
      },
    }
    return iterator
  }

  close(): void {
    this.unlisten()
    this.handlers.clear()
  }

  private deliver(events: StoredEvent[]): void {
    if (this.handlers.size === 0) return
    // Decoding waits for readCar; the order of events is kept by chaining.
    this.chain = this.chain.then(() => this.deliverInOrder(events))
  }

  private chain: Promise<void> = Promise.resolve()

  private async deliverInOrder(events: StoredEvent[]): Promise<void> {
    for (const stored of events) {
      if (stored.scope !== '') continue
      try {
        const [, body] = [...decodeAll(stored.frame)] as [unknown, Record<string, any>]
        if (stored.eventType === '#commit') {
          if (this.wants('commit')) this.emit('commit', await commitEvent(body))
          if (stored.newRepo && this.wants('accountCreated')) this.emit('accountCreated', { did: stored.did, handle: this.handleOf(stored.did) ?? '' })
        } else if (stored.eventType === '#account') {
          this.emit('account', { seq: body.seq, time: body.time, did: body.did, active: body.active, ...(body.status ? { status: body.status } : {}) })
        } else if (stored.eventType === '#identity') {
          this.emit('identity', { seq: body.seq, time: body.time, did: body.did, ...(body.handle ? { handle: body.handle } : {}) })
        }
      } catch (err) {
        this.logger.error({ err, seq: stored.seq }, 'could not decode an event for the host')
      }
    }
  }

  private wants(name: HostEventName): boolean {
    return (this.handlers.get(name)?.size ?? 0) > 0
  }

  private emit<K extends HostEventName>(name: K, event: HostEventMap[K]): void {
    for (const handler of this.handlers.get(name) ?? []) {
      try {
        const out = handler(event)
        if (out instanceof Promise) out.catch((err) => this.logger.error({ err, event: name }, 'host event handler failed'))
      } catch (err) {
        this.logger.error({ err, event: name }, 'host event handler failed')
      }
    }
  }
}

async function commitEvent(body: Record<string, any>): Promise<CommitEvent> {
  const blocks = new Map<string, Uint8Array>()
  const car = await readCar(body.blocks)
  car.blocks.forEach((bytes, cid) => blocks.set(cid.toString(), bytes))
  const ops: CommitEventOp[] = (body.ops as { action: CommitEventOp['action']; path: string; cid: { toString(): string } | null }[]).map((op) => {
    const slash = op.path.indexOf('/')
    const collection = op.path.slice(0, slash)
    const rkey = op.path.slice(slash + 1)
    const cid = op.cid ? op.cid.toString() : null
    const bytes = cid ? blocks.get(cid) : undefined
    return {
      action: op.action,
      collection,
      rkey,
      uri: `at://${body.repo}/${op.path}`,
      cid,
      ...(bytes ? { record: lexToJson(cborToLexRecord(bytes) as never) as RecordValue } : {}),
    }
  })
  return { seq: body.seq, time: body.time, did: body.repo, rev: body.rev, since: body.since ?? null, commit: body.commit.toString(), ops, blocks: body.blocks }
}


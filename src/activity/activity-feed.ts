/**
 * A person's activity as it happens: commits to their repositories (the
 * public one and each scope), identity and account events, and every read
 * of their scopes by an app. Live items come from the event log's and the
 * read log's in-process listeners (the same hook the firehose fan-out uses),
 * so an open activity page costs one Map lookup per event, never a query.
 *
 * The cut-over from stored to live is exact for the same reason as the
 * firehose's: both logs are written and heard synchronously in this
 * process, so `since()` followed by `subscribe()` in one turn misses nothing.
 *
 * @example
 * const items = feed.recent(did)              // the newest 100, newest first
 * const stop = feed.subscribe(did, (item) => send(item))
 */
import { decodeAll } from '@atproto/lex-cbor'
import type { Db } from '../db/open-database.js'
import type { EventLog, StoredEvent } from '../sequencer/event-log.js'
import type { LoggedRead, ReadLog } from '../grant/read-log.js'

export type ActivityItem =
  | {
      kind: 'commit'
      /** `e<seq>`: unique across both logs. */
      id: string
      seq: number
      at: string
      /** '' for the public repository, else the scope's name. */
      repository: string
      rev: string
      ops: { action: string; path: string }[]
    }
  | { kind: 'identity' | 'account' | 'sync'; id: string; seq: number; at: string; repository: ''; note: string }
  | {
      kind: 'read'
      /** `r<row id>` */
      id: string
      readId: number
      at: string
      repository: string
      appDid: string
      method: string
      detail: string | null
    }

export const RECENT_ACTIVITY = 100
type Listener = (item: ActivityItem) => void

interface EventRow {
  seq: number
  scope: string
  event_type: string
  frame: Uint8Array
  sequenced_at: string
}

export class ActivityFeed {
  private listeners = new Map<string, Set<Listener>>()
  private enders = new Set<() => void>()
  private closed = false
  private recentEvents
  private eventsAfter
  private recentReads
  private readsAfter
  private maxSeq
  private maxRead

  constructor(db: Db, eventLog: EventLog, readLog: ReadLog) {
    this.recentEvents = db.prepare<[string, number], EventRow>(
      'SELECT seq, scope, event_type, frame, sequenced_at FROM repo_seq WHERE did = ? ORDER BY seq DESC LIMIT ?',
    )
    this.eventsAfter = db.prepare<[string, number, number], EventRow>(
      'SELECT seq, scope, event_type, frame, sequenced_at FROM repo_seq WHERE did = ? AND seq > ? ORDER BY seq DESC LIMIT ?',
    )
    const readColumns = 'id, grant_id AS grantId, app_did AS appDid, owner_did AS ownerDid, scope, method, detail, read_at AS readAt'
    this.recentReads = db.prepare<[string, number], LoggedRead>(
      `SELECT ${readColumns} FROM scope_read_log WHERE owner_did = ? ORDER BY id DESC LIMIT ?`,
    )
    this.readsAfter = db.prepare<[string, number, number], LoggedRead>(
      `SELECT ${readColumns} FROM scope_read_log WHERE owner_did = ? AND id > ? ORDER BY id DESC LIMIT ?`,
    )
    this.maxSeq = db.prepare<[string], { n: number | null }>('SELECT MAX(seq) AS n FROM repo_seq WHERE did = ?')
    this.maxRead = db.prepare<[string], { n: number | null }>('SELECT MAX(id) AS n FROM scope_read_log WHERE owner_did = ?')
    eventLog.onAppend((events) => {
      for (const e of events) {
        const set = this.listeners.get(e.did)
        if (set) this.emit(set, eventItem(e))
      }
    })
    readLog.onRecord((read) => {
      const set = this.listeners.get(read.ownerDid)
      if (set) this.emit(set, readItem(read))
    })
  }

  /** The newest items for `did`, newest first. */
  recent(did: string, limit = RECENT_ACTIVITY): ActivityItem[] {
    const events = this.recentEvents.all(did, limit).map(rowItem)
    const reads = this.recentReads.all(did, limit).map(readItem)
    return newestFirst(events, reads, limit)
  }

  /** Items newer than a page's marks (highest seq and read id it showed), newest first. */
  since(did: string, afterSeq: number, afterRead: number, limit = RECENT_ACTIVITY): ActivityItem[] {
    const events = this.eventsAfter.all(did, afterSeq, limit).map(rowItem)
    const reads = this.readsAfter.all(did, afterRead, limit).map(readItem)
    return newestFirst(events, reads, limit)
  }

  /** The marks of what `recent` shows now: pass them to `since` to continue after it. */
  marks(did: string): { seq: number; read: number } {
    return { seq: this.maxSeq.get(did)?.n ?? 0, read: this.maxRead.get(did)?.n ?? 0 }
  }

  /** Calls `listener` with each new item of `did`; `onEnd` when the server closes. Returns the way to stop. */
  subscribe(did: string, listener: Listener, onEnd: () => void = () => {}): () => void {
    if (this.closed) {
      onEnd()
      return () => {}
    }
    let set = this.listeners.get(did)
    if (!set) this.listeners.set(did, (set = new Set()))
    set.add(listener)
    this.enders.add(onEnd)
    return () => {
      this.enders.delete(onEnd)
      set!.delete(listener)
      if (set!.size === 0 && this.listeners.get(did) === set) this.listeners.delete(did)
    }
  }

  /** Ends every subscription (the server is closing: the streams must not outlive the database). */
  close(): void {
    this.closed = true
    const enders = [...this.enders]
    this.enders.clear()
    this.listeners.clear()
    for (const end of enders) end()
  }

  /** Open subscriptions, for tests and metrics. */
  get subscribers(): number {
    let n = 0
    for (const set of this.listeners.values()) n += set.size
    return n
  }

  private emit(set: Set<Listener>, item: ActivityItem): void {
    for (const l of [...set]) {
      try {
        l(item)
      } catch {
        // One page's broken stream must not stop the others, nor the commit that fed it.
      }
    }
  }
}

function newestFirst(events: ActivityItem[], reads: ActivityItem[], limit: number): ActivityItem[] {
  return [...events, ...reads].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, limit)
}

function rowItem(r: EventRow): ActivityItem {
  return eventItem({ seq: r.seq, did: '', scope: r.scope, eventType: r.event_type, frame: r.frame, sequencedAt: r.sequenced_at })
}

function eventItem(e: StoredEvent): ActivityItem {
  const [, body] = [...decodeAll(e.frame)] as [unknown, Record<string, unknown>]
  const base = { id: `e${e.seq}`, seq: e.seq, at: e.sequencedAt }
  if (e.eventType === '#commit') {
    const ops = ((body.ops as { action: string; path: string }[] | undefined) ?? []).map((op) => ({ action: op.action, path: op.path }))
    return { ...base, kind: 'commit', repository: e.scope, rev: String(body.rev ?? ''), ops }
  }
  if (e.eventType === '#identity') {
    return { ...base, kind: 'identity', repository: '', note: body.handle ? `handle ${String(body.handle)}` : 'identity updated' }
  }
  if (e.eventType === '#account') {
    return { ...base, kind: 'account', repository: '', note: body.active ? 'active' : String(body.status ?? 'inactive') }
  }
  return { ...base, kind: 'sync', repository: '', note: `repository re-signed at rev ${String(body.rev ?? '')}` }
}

function readItem(r: LoggedRead): ActivityItem {
  return {
    kind: 'read',
    id: `r${r.id}`,
    readId: r.id,
    at: new Date(r.readAt).toISOString(),
    repository: r.scope,
    appDid: r.appDid,
    method: r.method,
    detail: r.detail,
  }
}

/**
 * The event log: one row per thing relays must hear about (#commit, #sync,
 * #identity, #account), appended inside the same SQLite transaction as the
 * change itself. Each row holds its firehose frame already encoded (header +
 * body, seq included), so fan-out sends stored bytes.
 *
 * `seq` comes from the table's AUTOINCREMENT counter, read inside the
 * transaction: it only ever grows, survives restarts, and travels with a
 * backup of the database.
 */
import { encode as cborEncode } from '@atproto/lex-cbor'
import type { Cid } from '@atproto/lex-data'
import type { Statement } from 'better-sqlite3'
import type { Db } from '../db/open-database.js'
import { encodeCommitFrame } from './commit-frame.js'

export interface CommitOp {
  action: 'create' | 'update' | 'delete'
  path: string
  cid: Cid | null
  prev?: Cid
}

export interface CommitEventBody {
  repo: string
  commit: Cid
  rev: string
  since: string | null
  blocks: Uint8Array
  ops: CommitOp[]
  blobs: Cid[]
  prevData?: Cid
}

export interface StoredEvent {
  seq: number
  did: string
  scope: string
  eventType: string
  frame: Uint8Array
  sequencedAt: string
  /** Set on the first commit of a public repository (a new account): crawlers want to hear of it. Not stored. */
  newRepo?: boolean
  /** The actions of a #commit's ops, for counting without decoding the frame. Not stored. */
  opActions?: CommitOp['action'][]
}

type Listener = (events: StoredEvent[]) => void

export class EventLog {
  private insert
  private nextSeqStmt
  private pending: StoredEvent[] = []
  private listeners = new Set<Listener>()
  private oldestStmt
  private timeAtStmt
  private deleteRangeStmt

  constructor(private db: Db) {
    this.insert = db.prepare(
      'INSERT INTO repo_seq (seq, did, scope, event_type, frame, sequenced_at) VALUES (?, ?, ?, ?, ?, ?)',
    )
    // sqlite_sequence keeps the highest seq ever issued, even after rows are pruned.
    this.nextSeqStmt = db.prepare(
      `SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'repo_seq'), 0),
                  COALESCE((SELECT MAX(seq) FROM repo_seq), 0)) + 1 AS next`,
    )
    this.oldestStmt = db.prepare('SELECT MIN(seq) AS seq FROM repo_seq')
    this.timeAtStmt = db.prepare('SELECT seq, sequenced_at FROM repo_seq WHERE seq >= ? ORDER BY seq LIMIT 1')
    this.deleteRangeStmt = db.prepare('DELETE FROM repo_seq WHERE seq >= ? AND seq <= ?')
  }

  /** Appends a #commit; call inside the commit's transaction. */
  appendCommit(body: CommitEventBody, scope = ''): StoredEvent {
    const event = this.append(body.repo, scope, '#commit', (seq, time) => ({
      seq,
      rebase: false,
      tooBig: false,
      repo: body.repo,
      commit: body.commit,
      rev: body.rev,
      since: body.since,
      blocks: body.blocks,
      ops: body.ops.map((op) => ({ action: op.action, path: op.path, cid: op.cid, ...(op.prev ? { prev: op.prev } : {}) })),
      // Deprecated and to be empty, says the lexicon: consumers find blobs in the records.
      blobs: [],
      ...(body.prevData ? { prevData: body.prevData } : {}),
      time,
    }), encodeCommitFrame)
    if (body.since === null && scope === '') event.newRepo = true
    event.opActions = body.ops.map((op) => op.action)
    return event
  }

  appendSync(did: string, blocks: Uint8Array, rev: string): StoredEvent {
    return this.append(did, '', '#sync', (seq, time) => ({ seq, did, blocks, rev, time }))
  }

  appendIdentity(did: string, handle?: string): StoredEvent {
    return this.append(did, '', '#identity', (seq, time) => ({ seq, did, time, ...(handle ? { handle } : {}) }))
  }

  appendAccount(did: string, active: boolean, status?: string): StoredEvent {
    return this.append(did, '', '#account', (seq, time) => ({ seq, did, time, active, ...(status ? { status } : {}) }))
  }

  /**
   * Runs `fn` in a transaction; the events it appended reach the listeners
   * once the transaction has committed, and are forgotten if it rolls back.
   */
  transaction<T>(fn: () => T): T {
    const outermost = !this.db.inTransaction
    try {
      const result = this.db.transaction(fn)()
      if (outermost) this.flush()
      return result
    } catch (err) {
      if (outermost) this.discardPending()
      throw err
    }
  }

  /** Hands the events appended since the last call to the listeners; call after the transaction commits. */
  flush(): void {
    if (this.pending.length === 0) return
    const events = this.pending
    this.pending = []
    for (const l of this.listeners) l(events)
  }

  /** Drops events of a transaction that rolled back. */
  discardPending(): void {
    this.pending = []
  }

  onAppend(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** The highest seq ever issued (0 before the first event), whether or not its row was pruned since. */
  lastSeq(): number {
    return (this.nextSeqStmt.get() as { next: number }).next - 1
  }

  /** The lowest seq still kept, or null when the log holds no rows. */
  oldestSeq(): number | null {
    return (this.oldestStmt.get() as { seq: number | null }).seq
  }

  /**
   * Up to `limit` events with seq above `afterSeq`, oldest first, from the
   * given scopes ('' is the public repo).
   *
   * @example
   * const page = eventLog.eventsAfter(cursor, 100, [''])
   */
  eventsAfter(afterSeq: number, limit: number, scopes: readonly string[] = ['']): StoredEvent[] {
    const params: unknown[] = [afterSeq, ...scopes, limit]
    const rows = this.pageStmt(scopes.length).all(...params) as {
      seq: number
      did: string
      scope: string
      event_type: string
      frame: Uint8Array
      sequenced_at: string
    }[]
    return rows.map((r) => ({ seq: r.seq, did: r.did, scope: r.scope, eventType: r.event_type, frame: r.frame, sequencedAt: r.sequenced_at }))
  }

  /**
   * The highest seq whose row was written before `cutoff` (an ISO time), or
   * null. Rows are written in seq order with the clock's time, so a binary
   * search over seq finds it without a time index.
   */
  lastSeqBefore(cutoff: string): number | null {
    let lo = this.oldestSeq()
    if (lo === null) return null
    let hi = this.lastSeq()
    let found: number | null = null
    while (lo <= hi) {
      const mid = Math.floor((lo + hi) / 2)
      const row = this.timeAtStmt.get(mid) as { seq: number; sequenced_at: string } | undefined
      if (!row || row.seq > hi) {
        hi = mid - 1
      } else if (row.sequenced_at < cutoff) {
        found = row.seq
        lo = row.seq + 1
      } else {
        hi = mid - 1
      }
    }
    return found
  }

  /** Deletes the rows with seq in [from, to]; seq never goes back, since sqlite_sequence keeps the highest value. */
  deleteRange(from: number, to: number): number {
    return this.deleteRangeStmt.run(from, to).changes
  }

  private pageStmts = new Map<number, Statement<unknown[]>>()
  private pageStmt(scopeCount: number) {
    let stmt = this.pageStmts.get(scopeCount)
    if (!stmt) {
      const placeholders = new Array(scopeCount).fill('?').join(', ')
      stmt = this.db.prepare(
        `SELECT seq, did, scope, event_type, frame, sequenced_at FROM repo_seq
         WHERE seq > ? AND scope IN (${placeholders}) ORDER BY seq LIMIT ?`,
      )
      this.pageStmts.set(scopeCount, stmt)
    }
    return stmt
  }

  private append<B extends object>(
    did: string,
    scope: string,
    type: string,
    body: (seq: number, time: string) => B,
    /** A faster writer for this type's body (src/sequencer/commit-frame.ts); null hands the body to lex-cbor. */
    encode?: (body: B) => Uint8Array | null,
  ): StoredEvent {
    if (!this.db.inTransaction) throw new Error('event rows are written inside the change\'s transaction')
    const seq = (this.nextSeqStmt.get() as { next: number }).next
    const time = new Date().toISOString()
    const value = body(seq, time)
    const frame = encode?.(value) ?? encodeFrame(type, value)
    this.insert.run(seq, did, scope, type, frame, time)
    const event = { seq, did, scope, eventType: type, frame, sequencedAt: time }
    this.pending.push(event)
    return event
  }
}

/** Each message type's frame header, encoded once: there are a handful of types. */
const frameHeaders = new Map<string, Uint8Array>()

/** A firehose message frame: DAG-CBOR header `{ op: 1, t }` followed by the DAG-CBOR body. */
export function encodeFrame(type: string, body: object): Uint8Array {
  let header = frameHeaders.get(type)
  if (!header) {
    header = cborEncode({ op: 1, t: type } as never)
    frameHeaders.set(type, header)
  }
  return Buffer.concat([header, cborEncode(body as never)])
}

/** An error frame: header `{ op: -1 }`, body `{ error, message }`. */
export function encodeErrorFrame(error: string, message?: string): Uint8Array {
  return Buffer.concat([cborEncode({ op: -1 } as never), cborEncode((message ? { error, message } : { error }) as never)])
}

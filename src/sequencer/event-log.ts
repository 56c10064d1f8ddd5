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
import type { Db } from '../db/open-database.js'

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
}

type Listener = (events: StoredEvent[]) => void

export class EventLog {
  private insert
  private nextSeqStmt
  private pending: StoredEvent[] = []
  private listeners = new Set<Listener>()

  constructor(private db: Db) {
    this.insert = db.prepare(
      'INSERT INTO repo_seq (seq, did, scope, event_type, frame, sequenced_at) VALUES (?, ?, ?, ?, ?, ?)',
    )
    // sqlite_sequence keeps the highest seq ever issued, even after rows are pruned.
    this.nextSeqStmt = db.prepare(
      `SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'repo_seq'), 0),
                  COALESCE((SELECT MAX(seq) FROM repo_seq), 0)) + 1 AS next`,
    )
  }

  /** Appends a #commit; call inside the commit's transaction. */
  appendCommit(body: CommitEventBody, scope = ''): StoredEvent {
    return this.append(body.repo, scope, '#commit', (seq, time) => ({
      seq,
      rebase: false,
      tooBig: false,
      repo: body.repo,
      commit: body.commit,
      rev: body.rev,
      since: body.since,
      blocks: body.blocks,
      ops: body.ops.map((op) => ({ action: op.action, path: op.path, cid: op.cid, ...(op.prev ? { prev: op.prev } : {}) })),
      blobs: body.blobs,
      ...(body.prevData ? { prevData: body.prevData } : {}),
      time,
    }))
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

  lastSeq(): number {
    return (this.nextSeqStmt.get() as { next: number }).next - 1
  }

  private append(did: string, scope: string, type: string, body: (seq: number, time: string) => object): StoredEvent {
    if (!this.db.inTransaction) throw new Error('event rows are written inside the change\'s transaction')
    const seq = (this.nextSeqStmt.get() as { next: number }).next
    const time = new Date().toISOString()
    const frame = encodeFrame(type, body(seq, time))
    this.insert.run(seq, did, scope, type, frame, time)
    const event = { seq, did, scope, eventType: type, frame, sequencedAt: time }
    this.pending.push(event)
    return event
  }
}

/** A firehose message frame: DAG-CBOR header `{ op: 1, t }` followed by the DAG-CBOR body. */
export function encodeFrame(type: string, body: object): Uint8Array {
  return Buffer.concat([cborEncode({ op: 1, t: type } as never), cborEncode(body as never)])
}

/** An error frame: header `{ op: -1 }`, body `{ error, message }`. */
export function encodeErrorFrame(error: string, message?: string): Uint8Array {
  return Buffer.concat([cborEncode({ op: -1 } as never), cborEncode((message ? { error, message } : { error }) as never)])
}

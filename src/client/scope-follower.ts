/**
 * Following the scoped stream (`dev.hearth.scope.subscribe`, frames in the
 * com.atproto.sync.subscribeRepos format): every #commit is verified before
 * anything in it is handed over — the commit's signature against the
 * owner's key from their DID document, and each op's record (or its
 * absence, for a delete) by the MST proof the frame carries
 * (@atproto/repo's verifyProofs). A dropped socket is reopened from the last
 * seq handled, with a fresh token, after a short pause that grows on
 * repeated failures.
 *
 * @example
 * const f = client.follow(['instagram.profile'], {
 *   onRecord: (r) => save(r), onDelete: (d) => drop(d), cursor: loadCursor(),
 * })
 * // … f.cursor is the last seq handled (keep it to resume); f.close() to stop
 */
import WebSocket from 'ws'
import { decodeAll } from '@atproto/lex-cbor'
import type { Cid } from '@atproto/lex-data'
import { cborToLexRecord, readCarWithRoot, verifyProofs } from '@atproto/repo'
import { VerificationFailed } from './errors.js'
import type { ScopeRecord } from './hearth-app-client.js'

export interface FollowedRecord extends ScopeRecord {
  action: 'create' | 'update'
  seq: number
}

export interface FollowedDelete {
  owner: string
  scope: string
  key: string
  seq: number
}

export interface FollowOptions {
  /** Resume after this seq (kept from an earlier follow's `cursor`); absent: from now on. */
  cursor?: number
  onRecord?: (record: FollowedRecord) => void | Promise<void>
  onDelete?: (deleted: FollowedDelete) => void | Promise<void>
  /** A commit that did not verify (it is skipped), or a connection problem (it reconnects). */
  onError?: (err: Error) => void
}

export interface Follow {
  /** The seq of the last event handled: pass it as `cursor` to resume. */
  readonly cursor: number | undefined
  /** Resolves once the first socket is open (the server may still be checking its token: pass a cursor to miss nothing). */
  readonly opened: Promise<void>
  close(): void
}

export interface FollowDeps {
  pds: string
  token: (lxm: string) => Promise<string>
  signingKey: (did: string, refresh: boolean) => Promise<string>
  toRecord: (owner: string, scope: string, key: string, cid: string, record: unknown) => ScopeRecord
}

const NSID = 'dev.hearth.scope.subscribe'

interface CommitBody {
  seq: number
  repo: string
  ops: { action: string; path: string; cid: Cid | null }[]
  blocks: Uint8Array
}

export function followScopes(deps: FollowDeps, scopes: string[], opts: FollowOptions): Follow {
  const wanted = new Set(scopes)
  let cursor = opts.cursor
  let closed = false
  let socket: WebSocket | null = null
  let failures = 0
  let queue = Promise.resolve()
  /** Bumped to drop what a socket still had queued once it is given up on. */
  let generation = 0
  let markOpen!: () => void
  const opened = new Promise<void>((r) => (markOpen = r))
  const report = (err: Error) => opts.onError?.(err)

  const handle = async (data: Buffer) => {
    const [header, body] = [...decodeAll(data)] as [{ op: number; t?: string }, Record<string, unknown>]
    if (header.op === -1) throw new Error(`stream error: ${String(body.error)} ${String(body.message ?? '')}`)
    if (header.t !== '#commit') return
    const commit = body as unknown as CommitBody
    const ops = commit.ops
      .map((op) => ({ ...op, scope: op.path.slice(0, op.path.indexOf('/')), key: op.path.slice(op.path.indexOf('/') + 1) }))
      .filter((op) => wanted.has(op.scope))
    if (ops.length > 0) {
      const records = await verifyCommit(deps, commit, ops)
      for (const op of ops) {
        if (op.action === 'delete') await opts.onDelete?.({ owner: commit.repo, scope: op.scope, key: op.key, seq: commit.seq })
        else await opts.onRecord?.({ ...deps.toRecord(commit.repo, op.scope, op.key, op.cid!.toString(), records.get(op.path)), action: op.action as 'create' | 'update', seq: commit.seq })
      }
    }
    cursor = commit.seq
  }

  const connect = async () => {
    if (closed) return
    const url = new URL(`${deps.pds.replace(/^http/, 'ws')}/xrpc/${NSID}`)
    if (cursor !== undefined) url.searchParams.set('cursor', String(cursor))
    let token: string
    try {
      token = await deps.token(NSID)
    } catch (err) {
      report(err as Error)
      return retry()
    }
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } })
    socket = ws
    ws.on('open', () => {
      failures = 0
      markOpen()
    })
    const mine = ++generation
    ws.on('message', (data: Buffer) => {
      queue = queue
        .then(() => (mine === generation ? handle(data) : undefined))
        .catch((err: Error) => {
          report(err)
          // A commit that does not verify is skipped; anything else (the owner's DID document could not be
          // fetched, say) must not lose events: drop this socket and resume from the last one handled.
          if (!(err instanceof VerificationFailed) && mine === generation) {
            generation++
            ws.terminate()
          }
        })
    })
    ws.on('error', (err) => report(err))
    ws.on('close', () => {
      if (socket === ws) socket = null
      // Resume only after what was received is handled, so the cursor is right.
      queue = queue.then(() => retry())
    })
  }

  const retry = () => {
    if (closed) return
    failures++
    setTimeout(connect, Math.min(200 * 2 ** Math.min(failures, 5), 5000))
  }

  void connect()
  return {
    get cursor() {
      return cursor
    },
    opened,
    close() {
      closed = true
      socket?.close()
    },
  }
}

/** Checks the commit's signature and each op's proof; returns the records of its creates and updates by path. */
async function verifyCommit(deps: FollowDeps, commit: CommitBody, ops: { action: string; path: string; cid: Cid | null; scope: string; key: string }[]): Promise<Map<string, unknown>> {
  const claims = ops.map((op) => ({ collection: op.scope, rkey: op.key, cid: op.action === 'delete' ? null : op.cid }))
  let verified = false
  for (const refresh of [false, true]) {
    // Resolution failures propagate as they are (the caller reconnects); only a failed check is a VerificationFailed.
    const key = await deps.signingKey(commit.repo, refresh)
    try {
      const res = await verifyProofs(commit.blocks, claims, commit.repo, key)
      if (res.unverified.length === 0) {
        verified = true
        break
      }
    } catch {
      // a bad signature throws: try once more with a freshly resolved key (it may have been rotated)
    }
  }
  if (!verified) throw new VerificationFailed(`Commit seq ${commit.seq} of ${commit.repo} does not verify: skipped`)
  const { blocks } = await readCarWithRoot(commit.blocks)
  const records = new Map<string, unknown>()
  for (const op of ops) {
    if (op.action === 'delete') continue
    const bytes = blocks.get(op.cid!)
    if (!bytes) throw new VerificationFailed(`Commit seq ${commit.seq} lacks the record block of ${op.path}`)
    records.set(op.path, cborToLexRecord(bytes))
  }
  return records
}

/**
 * Writing to a repository: under the repository's lock, load its head,
 * check swaps and existence, build and sign the next commit with
 * @atproto/repo, then write blocks, head, record index, blob links and the
 * #commit event row in one SQLite transaction.
 *
 * @example
 * const { commit, results } = await committer.applyWrites(did, [prepareWrite(req, validator)])
 */
import { Repo, type CommitData } from '@atproto/repo'
import { TID } from '@atproto/common'
import type { Keypair } from '@atproto/crypto'
import { parseCid, type Cid } from '@atproto/lex-data'
import { BlobNotFound, InvalidRequest, InvalidSwap, RepoNotFound, invalidRequest } from '../errors/hearth-error.js'
import type { EventLog, CommitOp, StoredEvent } from '../sequencer/event-log.js'
import { MissingBlobError, type BlobIndex } from '../blob/blob-index.js'
import { encodeCar } from './car-writer.js'
import type { PreparedWrite } from './prepare-writes.js'
import type { RecordIndex } from './record-index.js'
import type { RepoLock } from './repo-lock.js'
import { SqlRepoStorage, type BlockTables } from './sql-repo-storage.js'
import { buildCommit, loadHead, type RepoHead } from './commit-builder.js'
import { blockEntriesByString, cidStringToBytes } from './raw-block-map.js'

export interface WriteResult {
  action: 'create' | 'update' | 'delete'
  uri: string
  collection: string
  rkey: string
  cid?: string
  validationStatus?: 'valid' | 'unknown'
}

export interface CommitResult {
  commit: { cid: string; rev: string }
  results: WriteResult[]
}

export interface RepoCommitterDeps {
  tables: BlockTables
  records: RecordIndex
  blobs: BlobIndex
  eventLog: EventLog
  lock: RepoLock
  /** The account's signing keypair. */
  keypair: (did: string) => Promise<Keypair>
  /** After a commit, under the repository's lock: moves the uploads it references to their final keys. */
  promoteBlobs?: (did: string, cids: string[]) => Promise<void>
}

/** How many repositories keep their head (commit + loaded MST) in memory between writes. */
const CACHED_HEADS = 64

export class RepoCommitter {
  /** Most recently written heads, oldest first; a head is trusted only while it matches repo_root. */
  private heads = new Map<string, RepoHead>()

  constructor(private deps: RepoCommitterDeps) {}

  private async head(storage: SqlRepoStorage, key: string, did: string, root: Cid): Promise<RepoHead> {
    const cached = this.heads.get(key)
    if (cached && cached.cid.equals(root)) return cached
    return loadHead(storage, did, root)
  }

  /**
   * The repository's root as repo_root holds it. While it is the cached
   * head's, that head's CID object stands for it: parsing the string anew
   * costs a base32 decode and a multiformats CID on every commit.
   */
  private storedRoot(key: string, did: string, scope: string): Cid | null {
    const row = this.deps.tables.getRoot.get(did, scope)
    if (!row) return null
    const cached = this.heads.get(key)
    return cached && cached.cid.toString() === row.cid ? cached.cid : parseCid(row.cid)
  }

  private remember(key: string, head: RepoHead): void {
    this.heads.delete(key)
    this.heads.set(key, head)
    if (this.heads.size > CACHED_HEADS) this.heads.delete(this.heads.keys().next().value!)
  }

  /** Drops a repository's cached head (after it is deleted or replaced wholesale). */
  forget(did: string, scope = ''): void {
    this.heads.delete(lockKey(did, scope))
    this.deps.records.forgetRepo(did)
  }

  /**
   * The first, empty commit of a new repository. `alsoInTransaction` writes
   * what must land with it (the account row, its first events).
   */
  async createRepo(did: string, keypair: Keypair, alsoInTransaction: () => void, scope = ''): Promise<CommitData> {
    const { tables, eventLog, lock } = this.deps
    return lock.run(lockKey(did, scope), async () => {
      const storage = new SqlRepoStorage(tables, did, scope)
      const commit = await Repo.formatInitCommit(storage, did, keypair)
      eventLog.transaction(() => {
        alsoInTransaction()
        tables.applyCommit(did, scope, commit)
        eventLog.appendCommit(
          {
            repo: did,
            commit: commit.cid,
            rev: commit.rev,
            since: null,
            blocks: encodeCar(commit.cid, blockEntries(commit)),
            ops: [],
            blobs: [],
          },
          scope,
        )
        // Relays also expect a #sync naming the new repo's head (the reference PDS sends one since 0.4.106).
        if (scope === '') this.appendHeadSync(did)
      })
      return commit
    })
  }

  /**
   * Appends a #sync carrying the public repo's current signed commit (a CAR
   * of that one block), so a relay can take the head as it is: on account
   * creation and re-activation. Call inside the transaction that caused it.
   */
  appendHeadSync(did: string): void {
    const { tables, eventLog } = this.deps
    const head = tables.getRoot.get(did, '')
    if (!head) return
    const cid = parseCid(head.cid)
    const block = tables.getBlock.get(did, '', cidStringToBytes(head.cid))
    if (!block) return
    eventLog.appendSync(did, encodeCar(cid, [[cid, new Uint8Array(block.content)]]), head.rev)
  }

  /**
   * Re-signs the public repo's current tree with `keypair` under a new rev:
   * the commit chain starts over (a #sync, not a #commit), as after a change
   * of signing key. `alsoInTransaction` writes what must land with it.
   */
  async resign(did: string, keypair: Keypair, alsoInTransaction: () => void): Promise<{ cid: string; rev: string }> {
    const { tables, eventLog, lock } = this.deps
    return lock.run(lockKey(did, ''), async () => {
      const storage = new SqlRepoStorage(tables, did, '')
      const root = await storage.getRoot()
      if (!root) throw new RepoNotFound(`No repository for ${did}`)
      const repo = await Repo.load(storage, root)
      const commit = await repo.formatResignCommit(TID.nextStr(repo.commit.rev), keypair)
      eventLog.transaction(() => {
        alsoInTransaction()
        tables.applyCommit(did, '', commit)
        eventLog.appendSync(did, encodeCar(commit.cid, blockEntries(commit)), commit.rev)
      })
      this.forget(did)
      return { cid: commit.cid.toString(), rev: commit.rev }
    })
  }

  /**
   * `alsoInTransaction` runs last in the commit's transaction, with its
   * event (scope records' side tables and erasure need to land with it).
   */
  async applyWrites(
    did: string,
    writes: PreparedWrite[],
    opts: { swapCommit?: string; scope?: string; alsoInTransaction?: (event: StoredEvent, commit: { cid: string; rev: string }) => void } = {},
  ): Promise<CommitResult> {
    const scope = opts.scope ?? ''
    const { tables, records, blobs, eventLog, lock } = this.deps
    if (writes.length === 0) throw invalidRequest('No writes given')
    return lock.run(lockKey(did, scope), async () => {
      const storage = new SqlRepoStorage(tables, did, scope)
      const key = lockKey(did, scope)
      const root = this.storedRoot(key, did, scope)
      if (!root) throw new RepoNotFound(`No repository for ${did}`)
      if (opts.swapCommit !== undefined && root.toString() !== opts.swapCommit) {
        throw new InvalidSwap(`Commit was at ${root.toString()}`)
      }
      // Each path's state as the writes so far leave it: a later write to the same path sees an earlier one.
      const before = new Map<string, Cid | null>()
      const after = new Map<string, Cid | null>()
      const order: string[] = []
      for (const w of writes) {
        const path = `${w.collection}/${w.rkey}`
        if (!after.has(path)) {
          const stored = records.get(did, scope, w.collection, w.rkey)
          const cid = stored ? parseCid(stored.cid) : null
          before.set(path, cid)
          after.set(path, cid)
          order.push(path)
        }
        const current = after.get(path) ?? null
        checkSwap(w, current?.toString() ?? null, path)
        if (w.action === 'create') {
          if (current) throw new InvalidRequest(`Record already exists at ${path}`)
          after.set(path, w.cid)
        } else if (w.action === 'update') {
          if (!current) throw new InvalidRequest(`No record at ${path} to update`)
          after.set(path, w.cid)
        } else {
          if (!current) throw new InvalidRequest(`No record at ${path} to delete`)
          after.set(path, null)
        }
        if (w.action !== 'delete') {
          for (const b of w.blobs) {
            const stored = blobs.get(did, b.cid)
            if (!stored) throw new BlobNotFound(`Could not find blob: ${b.cid}`)
            if (stored.mimeType !== b.mimeType || stored.size !== b.size) {
              throw invalidRequest(`Blob ${b.cid} does not match the uploaded blob's mimeType or size`)
            }
          }
        }
      }

      const eventOps = netOps(order, before, after)
      const head = await this.head(storage, key, did, root)
      const keypair = await this.deps.keypair(did)
      const { commit, next } = await buildCommit(head, writes, keypair)
      const uriBase = scope ? `at://${did}/${scope}` : `at://${did}`

      const linked = writes.flatMap((w) => (w.action === 'delete' ? [] : w.blobs.map((b) => b.cid)))
      try {
        eventLog.transaction(() => {
          for (const w of writes) {
            const uri = scope ? `${uriBase}/${w.rkey}` : `${uriBase}/${w.collection}/${w.rkey}`
            if (w.action === 'delete') {
              records.delete(did, scope, w.collection, w.rkey)
              blobs.linkRecord(did, uri, [])
            } else {
              records.put(did, scope, w.collection, w.rkey, w.cid.toString(), commit.rev)
              // requireBlobs: a blob collected since the check above rolls the commit back.
              blobs.linkRecord(did, uri, w.blobs.map((b) => b.cid), { requireBlobs: true })
            }
          }
          tables.applyCommit(did, scope, commit)
          const event = eventLog.appendCommit(
            {
              repo: did,
              commit: commit.cid,
              rev: commit.rev,
              since: commit.since,
              blocks: encodeCar(commit.cid, blockEntries(commit)),
              ops: eventOps,
              blobs: writes.flatMap((w) => (w.action === 'delete' ? [] : w.blobs.map((b) => parseCid(b.cid)))),
              prevData: head.commit.data,
            },
            scope,
          )
          opts.alsoInTransaction?.(event, { cid: commit.cid.toString(), rev: commit.rev })
        })
      } catch (err) {
        if (err instanceof MissingBlobError) throw new BlobNotFound(err.message)
        throw err
      }
      this.remember(key, next)
      if (linked.length > 0) await this.deps.promoteBlobs?.(did, linked)

      return {
        commit: { cid: commit.cid.toString(), rev: commit.rev },
        results: writes.map((w) => ({
          action: w.action,
          uri: `at://${did}/${w.collection}/${w.rkey}`,
          collection: w.collection,
          rkey: w.rkey,
          ...(w.action !== 'delete' ? { cid: w.cid.toString(), validationStatus: w.validationStatus } : {}),
        })),
      }
    })
  }
}

export const lockKey = (did: string, scope: string) => (scope ? `${did} ${scope}` : did)

/** The blocks a #commit carries: the new ones plus what proves each op against the new tree. */
function blockEntries(commit: CommitData): [{ bytes: Uint8Array }, Uint8Array][] {
  const out = new Map<string, Uint8Array>(blockEntriesByString(commit.newBlocks))
  for (const [cid, bytes] of blockEntriesByString(commit.relevantBlocks)) out.set(cid, bytes)
  return Array.from(out, ([cid, bytes]) => [{ bytes: cidStringToBytes(cid) }, bytes])
}

function checkSwap(w: PreparedWrite, currentCid: string | null, path: string): void {
  if (w.swapCid === undefined) return
  const ok = w.swapCid === null ? currentCid === null : currentCid === w.swapCid.toString()
  if (!ok) throw new InvalidSwap(`Record at ${path} is ${currentCid ?? 'absent'}`)
}

/**
 * The ops a #commit announces: one per path, from its state before the
 * commit to its state after. Several writes to one path in one call apply in
 * order (a create then a delete, say, as the reference PDS allows), but
 * relays check each op against the trees before and after the commit, so
 * they see the net change; a path that ends as it began has no op.
 */
function netOps(order: string[], before: Map<string, Cid | null>, after: Map<string, Cid | null>): CommitOp[] {
  const ops: CommitOp[] = []
  for (const path of order) {
    const was = before.get(path) ?? null
    const now = after.get(path) ?? null
    if (was === null && now !== null) ops.push({ action: 'create', path, cid: now })
    else if (was !== null && now === null) ops.push({ action: 'delete', path, cid: null, prev: was })
    else if (was !== null && now !== null && !was.equals(now)) ops.push({ action: 'update', path, cid: now, prev: was })
  }
  return ops
}

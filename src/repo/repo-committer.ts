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
import type { EventLog, CommitOp } from '../sequencer/event-log.js'
import type { BlobIndex } from '../blob/blob-index.js'
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
      })
      return commit
    })
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

  async applyWrites(did: string, writes: PreparedWrite[], opts: { swapCommit?: string; scope?: string } = {}): Promise<CommitResult> {
    const scope = opts.scope ?? ''
    const { tables, records, blobs, eventLog, lock } = this.deps
    if (writes.length === 0) throw invalidRequest('No writes given')
    assertDistinctPaths(writes)
    return lock.run(lockKey(did, scope), async () => {
      const storage = new SqlRepoStorage(tables, did, scope)
      const root = await storage.getRoot()
      if (!root) throw new RepoNotFound(`No repository for ${did}`)
      if (opts.swapCommit !== undefined && root.toString() !== opts.swapCommit) {
        throw new InvalidSwap(`Commit was at ${root.toString()}`)
      }
      const eventOps: CommitOp[] = []
      for (const w of writes) {
        const current = records.get(did, scope, w.collection, w.rkey)
        const path = `${w.collection}/${w.rkey}`
        checkSwap(w, current?.cid ?? null, path)
        if (w.action === 'create') {
          if (current) throw new InvalidRequest(`Record already exists at ${path}`)
          eventOps.push({ action: 'create', path, cid: w.cid })
        } else if (w.action === 'update') {
          if (!current) throw new InvalidRequest(`No record at ${path} to update`)
          eventOps.push({ action: 'update', path, cid: w.cid, prev: parseCid(current.cid) })
        } else {
          if (!current) throw new InvalidRequest(`No record at ${path} to delete`)
          eventOps.push({ action: 'delete', path, cid: null, prev: parseCid(current.cid) })
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

      const key = lockKey(did, scope)
      const head = await this.head(storage, key, did, root)
      const keypair = await this.deps.keypair(did)
      const { commit, next } = await buildCommit(head, writes, keypair)
      const uriBase = scope ? `at://${did}/${scope}` : `at://${did}`

      eventLog.transaction(() => {
        for (const w of writes) {
          const uri = scope ? `${uriBase}/${w.rkey}` : `${uriBase}/${w.collection}/${w.rkey}`
          if (w.action === 'delete') {
            records.delete(did, scope, w.collection, w.rkey)
            blobs.linkRecord(did, uri, [])
          } else {
            records.put(did, scope, w.collection, w.rkey, w.cid.toString(), commit.rev)
            blobs.linkRecord(did, uri, w.blobs.map((b) => b.cid))
          }
        }
        tables.applyCommit(did, scope, commit)
        eventLog.appendCommit(
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
      })
      this.remember(key, next)

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

function assertDistinctPaths(writes: PreparedWrite[]): void {
  const seen = new Set<string>()
  for (const w of writes) {
    const p = `${w.collection}/${w.rkey}`
    if (seen.has(p)) throw invalidRequest(`More than one write to ${p} in one commit`)
    seen.add(p)
  }
}

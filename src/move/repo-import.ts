/**
 * com.atproto.repo.importRepo: an account moving in brings its repository
 * as a CAR. The body is read as a stream (refused with 413 as soon as it
 * passes the limit) and parsed block by block, each block checked against
 * its CID as it arrives; the blocks are then held in memory, bounded by the
 * limit, while the repository is verified:
 *
 * - one root, a commit for this account's DID, signed by the key the DID
 *   document names right now (the old server's key, before the PLC move);
 * - every MST node and record the tree points at is present;
 * - the tree is the one its keys make: rebuilt from its leaves, it must hash
 *   to the commit's `data` (an MST is deterministic, so a tree with a node
 *   on the wrong layer or keys out of order does not).
 *
 * Then the same tree (same MST root, same record CIDs) is signed again with
 * the account's key on this server, under a rev past the imported one, and
 * replaces whatever an earlier import left, in one transaction. Nothing is
 * written before everything has been checked.
 */
import { MST, MemoryBlockstore, Repo, readCarStream, signCommit, verifyCommitSig, BlockMap } from '@atproto/repo'
import { TID } from '@atproto/common'
import { encode as cborEncode, decode as cborDecode } from '@atproto/lex-cbor'
import { ifCid } from '@atproto/lex-data'
import type { IdResolver } from '@atproto/identity'
import type { Keypair } from '@atproto/crypto'
import type { Logger } from '../logger.js'
import type { EventLog } from '../sequencer/event-log.js'
import type { RepoLock } from '../repo/repo-lock.js'
import type { RepoCommitter } from '../repo/repo-committer.js'
import type { BlockTables } from '../repo/sql-repo-storage.js'
import type { RepoReplacer, ReplacementRecord } from '../repo/repo-replace.js'
import { lockKey } from '../repo/repo-committer.js'
import { cidForBytes } from '../repo/prepare-writes.js'
import { HearthError, invalidRequest, forbidden } from '../errors/hearth-error.js'
import type { Account } from '../account/account-store.js'

export interface RepoImportDeps {
  idResolver: IdResolver
  replacer: RepoReplacer
  tables: BlockTables
  lock: RepoLock
  committer: RepoCommitter
  eventLog: EventLog
  logger: Logger
  keypair: (did: string) => Promise<Keypair>
  maxBytes: number
}

export interface ImportSummary {
  records: number
  blocks: number
  bytes: number
  rev: string
  commit: string
}

/** Log a progress line every this many bytes read. */
const PROGRESS_EVERY_BYTES = 4 * 1024 * 1024

export class RepoImport {
  constructor(private deps: RepoImportDeps) {}

  async import(account: Account, body: ReadableStream<Uint8Array> | null): Promise<ImportSummary> {
    const { logger } = this.deps
    const did = account.did
    if (account.status !== 'deactivated') {
      throw invalidRequest(
        `importRepo is for an account that is moving in, which stays deactivated until activateAccount; ${did} is ${account.status}`,
        'InvalidRequest',
      )
    }
    if (!body) throw invalidRequest('No CAR in the request body')
    const started = Date.now()
    const { root, blocks, bytes } = await this.readCar(did, body)
    logger.info({ did, blocks: blocks.size, bytes }, 'importRepo: CAR read, verifying')

    const storage = new MemoryBlockstore(blocks)
    let repo: Repo
    try {
      repo = await Repo.load(storage, root)
    } catch (err) {
      throw invalidRequest(`The CAR's root is not a readable repository commit: ${(err as Error).message}`)
    }
    if (repo.did !== did) throw forbidden(`This CAR holds the repository of ${repo.did}: you can only import your own (${did})`)
    let signingKey: string
    try {
      signingKey = await this.deps.idResolver.did.resolveAtprotoKey(did, true)
    } catch (err) {
      throw invalidRequest(`Could not read the signing key of ${did} from its DID document: ${(err as Error).message}`)
    }
    if (!(await verifyCommitSig(repo.commit, signingKey))) {
      throw invalidRequest(`The repository's commit is not signed by the key in ${did}'s DID document (${signingKey})`, 'InvalidCommitSignature')
    }

    const { records, treeBlocks } = await this.checkTree(repo, blocks)
    logger.info({ did, records: records.length }, 'importRepo: tree verified, storing')

    return this.deps.lock.run(lockKey(did, ''), async () => {
      const current = this.deps.tables.getRoot.get(did, '')
      const after = current && current.rev > repo.commit.rev ? current.rev : repo.commit.rev
      const rev = TID.nextStr(after)
      const keypair = await this.deps.keypair(did)
      const commit = await signCommit({ did, version: 3, rev, prev: null, data: repo.commit.data }, keypair)
      const commitBytes = cborEncode(commit as never)
      const commitCid = cidForBytes(commitBytes)
      treeBlocks.set(commitCid, commitBytes)
      this.deps.eventLog.transaction(() => {
        this.deps.replacer.replace({
          did,
          commitCid: commitCid.toString(),
          rev,
          blocks: (function* () {
            for (const { cid, bytes: b } of treeBlocks.entries()) yield [cid.bytes, b] as [Uint8Array, Uint8Array]
          })(),
          records,
        })
      })
      this.deps.committer.forget(did)
      logger.info({ did, records: records.length, blocks: treeBlocks.size, bytes, rev, ms: Date.now() - started }, 'importRepo: done')
      return { records: records.length, blocks: treeBlocks.size, bytes, rev, commit: commitCid.toString() }
    })
  }

  /** Streams the body through the CAR reader (which checks every block's hash), within the size limit. */
  private async readCar(did: string, body: ReadableStream<Uint8Array>) {
    const { maxBytes, logger } = this.deps
    let bytes = 0
    let nextLog = PROGRESS_EVERY_BYTES
    const reader = body.getReader()
    async function* chunks(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) return
          bytes += value.length
          if (bytes > maxBytes) {
            throw new HearthError('too-large', 'PayloadTooLarge', `The repository CAR is larger than this server's limit of ${maxBytes} bytes (HEARTH_MAX_IMPORT_BYTES)`)
          }
          if (bytes >= nextLog) {
            logger.info({ did, bytes }, 'importRepo: reading CAR')
            nextLog += PROGRESS_EVERY_BYTES
          }
          yield value
        }
      } finally {
        await reader.cancel().catch(() => {})
      }
    }
    const blocks = new BlockMap()
    let roots
    try {
      const car = await readCarStream(chunks())
      roots = car.roots
      for await (const block of car.blocks) blocks.set(block.cid, block.bytes)
    } catch (err) {
      if (err instanceof HearthError) throw err
      const message = (err as Error).message
      if (/cid|hash|digest/i.test(message)) throw invalidRequest(`A block in the CAR does not match its CID: ${message}`, 'InvalidBlock')
      throw invalidRequest(`The CAR could not be read (truncated or malformed?): ${message}`)
    }
    if (roots.length !== 1) throw invalidRequest(`A repository CAR has exactly one root, the commit; this one has ${roots.length}`)
    return { root: roots[0], blocks, bytes }
  }

  /** Every leaf and node present, the tree canonical; returns the records and the blocks worth keeping. */
  private async checkTree(repo: Repo, blocks: BlockMap): Promise<{ records: ReplacementRecord[]; treeBlocks: BlockMap }> {
    const records: ReplacementRecord[] = []
    const treeBlocks = new BlockMap()
    let rebuilt = await MST.create(new MemoryBlockstore())
    try {
      for await (const leaf of repo.data.walkLeavesFrom('')) {
        const bytes = blocks.get(leaf.value)
        if (!bytes) throw invalidRequest(`The CAR lacks the record ${leaf.key} (${leaf.value.toString()})`, 'InvalidRepo')
        const slash = leaf.key.indexOf('/')
        let blobCids: string[]
        try {
          blobCids = blobCidsIn(cborDecode(bytes))
        } catch (err) {
          throw invalidRequest(`The record ${leaf.key} is not a valid record: ${(err as Error).message}`, 'InvalidRepo')
        }
        records.push({ collection: leaf.key.slice(0, slash), rkey: leaf.key.slice(slash + 1), cid: leaf.value.toString(), blobCids })
        treeBlocks.set(leaf.value, bytes)
        rebuilt = await rebuilt.add(leaf.key, leaf.value)
      }
    } catch (err) {
      if (err instanceof HearthError) throw err
      throw invalidRequest(`The repository's tree is incomplete or malformed: ${(err as Error).message}`, 'InvalidRepo')
    }
    const { root, blocks: nodes } = await rebuilt.getUnstoredBlocks()
    if (!root.equals(repo.commit.data)) {
      throw invalidRequest(`The repository's tree is not well formed: rebuilt from its keys it hashes to ${root.toString()}, not ${repo.commit.data.toString()}`, 'InvalidRepo')
    }
    treeBlocks.addMap(nodes)
    return { records, treeBlocks }
  }
}

/**
 * The blob CIDs a decoded record references: `{ $type: 'blob', ref: <CID> }`
 * anywhere in it. Walked on the data model directly, since a record from
 * elsewhere must not depend on which library instance made its BlobRefs.
 */
export function blobCidsIn(value: unknown, out = new Set<string>()): string[] {
  if (Array.isArray(value)) {
    for (const v of value) blobCidsIn(v, out)
  } else if (value && typeof value === 'object' && !(value instanceof Uint8Array) && !ifCid(value)) {
    const o = value as Record<string, unknown>
    const ref = o.$type === 'blob' ? ifCid(o.ref) : null
    if (ref) out.add(ref.toString())
    else for (const v of Object.values(o)) blobCidsIn(v, out)
  }
  return [...out]
}

/**
 * com.atproto.repo.importRepo: an account moving in brings its repository
 * as a CAR. The body is read as a stream (refused with 413 as soon as it
 * passes the limit) and parsed block by block, each block checked against
 * its CID as it arrives and staged on disk (src/move/import-staging.ts), so
 * memory holds a batch of blocks, never the repository. The repository is
 * then verified from the staged blocks:
 *
 * - one root, a commit for this account's DID, signed by the key the DID
 *   document names right now (the old server's key, before the PLC move);
 * - every MST node and record the tree points at is present;
 * - the tree is the one its keys make (an MST is deterministic): each node
 *   is the encoding of its entries, keys in order, each on its layer (see
 *   checkTree), walked node by node so memory follows the tree's depth.
 *
 * Then the same tree (same MST root, same record CIDs) is signed again with
 * the account's key on this server, under a rev past the imported one, and
 * replaces whatever an earlier import left, in one transaction (the records
 * copied from the staging table by SQL). Nothing is written to the
 * repository before everything has been checked; the staged blocks are
 * deleted however the import ends, and at the next start if it was killed.
 */
import { MST, mstUtil, readCarStream, signCommit, verifyCommitSig, def, ensureV3Commit, type Commit } from '@atproto/repo'
import type { Cid } from '@atproto/lex-data'
import type { ImportStaging, StagedImport } from './import-staging.js'
import { cidStringToBytes } from '../repo/raw-block-map.js'
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
  staging: ImportStaging
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
    const staged = this.deps.staging.begin()
    try {
      return await this.importStaged(did, body, staged, started)
    } finally {
      staged.drop()
    }
  }

  private async importStaged(did: string, body: ReadableStream<Uint8Array>, staged: StagedImport, started: number): Promise<ImportSummary> {
    const { logger } = this.deps
    const { root, bytes } = await this.readCar(did, body, staged)
    logger.info({ did, blocks: staged.size(), bytes }, 'importRepo: CAR read, verifying')

    // What Repo.load reads, from a store that is only readable: the commit and its tree, loaded lazily.
    let repo: { did: string; commit: Commit; data: MST }
    try {
      const commit = ensureV3Commit(await staged.readObj(root, def.versionedCommit))
      repo = { did: commit.did, commit, data: await MST.load(staged, commit.data) }
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

    const { records, nodeCids } = await this.checkTree(repo, staged)
    logger.info({ did, records: records.length }, 'importRepo: tree verified, storing')

    return this.deps.lock.run(lockKey(did, ''), async () => {
      const current = this.deps.tables.getRoot.get(did, '')
      const after = current && current.rev > repo.commit.rev ? current.rev : repo.commit.rev
      const rev = TID.nextStr(after)
      const keypair = await this.deps.keypair(did)
      const commit = await signCommit({ did, version: 3, rev, prev: null, data: repo.commit.data }, keypair)
      const commitBytes = cborEncode(commit as never)
      const commitCid = cidForBytes(commitBytes)
      this.deps.eventLog.transaction(() => {
        this.deps.replacer.replace({
          did,
          commitCid: commitCid.toString(),
          rev,
          blocks: [[commitCid.bytes, commitBytes]],
          records,
          // The tree's nodes and records go from the staging table to the repository without passing through here.
          copyBlocks: (d, r) => {
            for (const cid of nodeCids) staged.copyInto(d, r, cid)
            for (const rec of records) staged.copyInto(d, r, cidStringToBytes(rec.cid))
          },
        })
      })
      this.deps.committer.forget(did)
      const blocks = 1 + nodeCids.length + records.length
      logger.info({ did, records: records.length, blocks, bytes, rev, ms: Date.now() - started }, 'importRepo: done')
      return { records: records.length, blocks, bytes, rev, commit: commitCid.toString() }
    })
  }

  /** Streams the body through the CAR reader (which checks every block's hash), within the size limit. */
  private async readCar(did: string, body: ReadableStream<Uint8Array>, staged: StagedImport) {
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
    let roots
    try {
      const car = await readCarStream(chunks())
      roots = car.roots
      for await (const block of car.blocks) staged.add(block.cid.bytes, block.bytes)
      staged.flush()
    } catch (err) {
      if (err instanceof HearthError) throw err
      const message = (err as Error).message
      if (/cid|hash|digest/i.test(message)) throw invalidRequest(`A block in the CAR does not match its CID: ${message}`, 'InvalidBlock')
      throw invalidRequest(`The CAR could not be read (truncated or malformed?): ${message}`)
    }
    if (roots.length !== 1) throw invalidRequest(`A repository CAR has exactly one root, the commit; this one has ${roots.length}`)
    return { root: roots[0], bytes }
  }

  /**
   * Every leaf and node present, the tree canonical; returns the records and
   * the CIDs of the tree's nodes (both stay staged until they are copied).
   *
   * The tree is walked node by node from the staging table and nothing of a
   * node is kept once its subtrees are done, so memory follows the tree's
   * depth, not its size. Canonical means the tree its keys make (an MST is
   * deterministic): each node is the encoding of its own entries, every key
   * is valid and greater than the one before, a node's keys all sit on its
   * layer (their hash's leading zeros) and its subtrees one layer down, no
   * subtree is empty, and the root is not a node a canonical tree trims.
   */
  private async checkTree(repo: { data: MST; commit: Commit }, staged: StagedImport): Promise<{ records: ReplacementRecord[]; nodeCids: Uint8Array[] }> {
    const records: ReplacementRecord[] = []
    const nodeCids: Uint8Array[] = []
    let lastKey = ''
    const notWellFormed = (why: string) => invalidRequest(`The repository's tree is not well formed: ${why}`, 'InvalidRepo')

    const visit = async (cid: Cid, layer: number | null, isRoot: boolean): Promise<void> => {
      if (!(await staged.has(cid))) throw invalidRequest(`The CAR lacks the tree node ${cid.toString()}`, 'InvalidRepo')
      const entries = await MST.load(staged, cid).getEntries()
      if (!(await mstUtil.cidForEntries(entries)).equals(cid)) throw notWellFormed(`node ${cid.toString()} is not the canonical encoding of its entries`)
      if (entries.length === 0 && !isRoot) throw notWellFormed(`node ${cid.toString()} is an empty subtree`)
      let own: number | null = layer
      for (const e of entries) {
        if (!e.isLeaf()) continue
        const z = await mstUtil.leadingZerosOnHash(e.key)
        if (own === null) own = z
        else if (z !== own) throw notWellFormed(`the key ${e.key} belongs on layer ${z}, not ${own}`)
      }
      if (own === null) {
        // Only subtrees: fine between layers, but a canonical root holds at least one key (or the tree is empty).
        if (isRoot && entries.length > 0) throw notWellFormed('its root holds no keys, only a subtree')
        own = layer ?? 0
      }
      nodeCids.push(cid.bytes)
      for (const e of entries) {
        if (e.isTree()) {
          if (own === 0) throw notWellFormed(`node ${cid.toString()} on layer 0 has a subtree`)
          await visit(e.pointer, own - 1, false)
          continue
        }
        if (!e.isLeaf()) continue
        if (!mstUtil.isValidMstKey(e.key)) throw notWellFormed(`${JSON.stringify(e.key)} is not a valid key`)
        if (e.key <= lastKey) throw notWellFormed(`the key ${e.key} comes after ${lastKey}`)
        lastKey = e.key
        const bytes = await staged.getBytes(e.value)
        if (!bytes) throw invalidRequest(`The CAR lacks the record ${e.key} (${e.value.toString()})`, 'InvalidRepo')
        let blobCids: string[]
        try {
          blobCids = blobCidsIn(cborDecode(bytes))
        } catch (err) {
          throw invalidRequest(`The record ${e.key} is not a valid record: ${(err as Error).message}`, 'InvalidRepo')
        }
        const slash = e.key.indexOf('/')
        records.push({ collection: e.key.slice(0, slash), rkey: e.key.slice(slash + 1), cid: e.value.toString(), blobCids })
      }
    }

    try {
      await visit(repo.commit.data, null, true)
    } catch (err) {
      if (err instanceof HearthError) throw err
      throw invalidRequest(`The repository's tree is incomplete or malformed: ${(err as Error).message}`, 'InvalidRepo')
    }
    return { records, nodeCids }
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

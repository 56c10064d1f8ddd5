/**
 * Builds and signs a repository's next commit from its in-memory head.
 *
 * @atproto/repo's `Repo.formatCommit` does the same from a freshly loaded
 * repo, but throws away the new tree it builds, so every commit would read
 * and decode the MST path from SQLite again and re-encode each record.
 * Profiling showed that decoding (multiformats CIDs are costly to construct)
 * was the largest part of a commit's CPU time. Here the new tree is kept as
 * the next head, and each record's bytes and CID come from prepareWrite.
 * The steps are the library's own, through its public pieces: MST edits,
 * DataDiff, covering proofs; the commit is signed as `signCommit` does, its
 * bytes written by src/repo/commit-cbor.ts.
 */
import { BlockMap, DataDiff, MST, def, ensureV3Commit, type CommitData, type Commit } from '@atproto/repo'
import type { Keypair } from '@atproto/crypto'
import { TID } from '@atproto/common'
import { parseCid, type Cid } from '@atproto/lex-data'
import { cidForBytes, type PreparedWrite } from './prepare-writes.js'
import type { SqlRepoStorage } from './sql-repo-storage.js'
import { blockEntriesByString, cidStrings } from './raw-block-map.js'
import './mst-serialize-memo.js'
import './block-map-merge.js'
import { trimToPaths } from './mst-trim.js'
import { signCommitBytes } from './commit-cbor.js'
import { settleAndDiff, type SettledDiff } from './mst-settle.js'

/** A repository's current commit and its (partly loaded) tree. */
export interface RepoHead {
  did: string
  cid: Cid
  commit: Commit
  data: MST
}

export async function loadHead(storage: SqlRepoStorage, did: string, root: Cid): Promise<RepoHead> {
  const commit = ensureV3Commit(await storage.readObj(root, def.versionedCommit))
  return { did, cid: root, commit, data: MST.load(storage, commit.data) }
}

/** The next commit after `head` with `writes` applied, and the head it leads to. */
export async function buildCommit(
  head: RepoHead,
  writes: PreparedWrite[],
  keypair: Keypair,
): Promise<{ commit: CommitData; next: RepoHead }> {
  let data = head.data
  const leaves = new Map<string, { cid: Cid; bytes: Uint8Array }>()
  for (const w of writes) {
    const key = `${w.collection}/${w.rkey}`
    if (w.action === 'create') {
      data = await data.add(key, w.cid)
      leaves.set(w.cid.toString(), w)
    } else if (w.action === 'update') {
      data = await data.update(key, w.cid)
      leaves.set(w.cid.toString(), w)
    } else {
      data = await data.delete(key)
    }
  }
  const diff = settleAndDiff(data, head.data) ?? (await libraryDiff(data, head.data))
  const dataCid = diff.pointer
  const newBlocks = diff.newMstBlocks
  const removedCids = diff.removedCids
  // The proof blocks that are not new anyway (usually few): merging whole
  // proofs with BlockMap.addMap would rebuild a CID object per block.
  const relevantBlocks = new BlockMap()
  const known = new Set<string>()
  for (const [cid] of blockEntriesByString(newBlocks)) known.add(cid)
  for (const w of writes) {
    for (const [cid, bytes] of blockEntriesByString(await data.getCoveringProof(`${w.collection}/${w.rkey}`))) {
      if (known.has(cid)) continue
      known.add(cid)
      relevantBlocks.set(parseCid(cid), bytes)
    }
  }
  // The diff names new leaves by CID string; the writes hold the CID objects
  // (CidSet.toList would parse each string back into a new one).
  const missing: string[] = []
  for (const cid of cidStrings(diff.newLeafCids)) {
    const leaf = leaves.get(cid)
    if (!leaf) {
      missing.push(cid)
      continue
    }
    newBlocks.set(leaf.cid, leaf.bytes)
    relevantBlocks.set(leaf.cid, leaf.bytes)
  }
  if (missing.length > 0) throw new Error(`commit is missing leaf blocks: ${missing.join(', ')}`)

  const rev = TID.nextStr(head.commit.rev)
  const { commit, bytes: commitBytes } = await signCommitBytes({ did: head.did, version: 3, rev, prev: null, data: dataCid }, keypair)
  const commitCid = cidForBytes(commitBytes)
  newBlocks.set(commitCid, commitBytes)
  relevantBlocks.set(commitCid, commitBytes)
  removedCids.add(head.cid)
  return {
    commit: { cid: commitCid, rev, since: head.commit.rev, prev: head.cid, newBlocks, relevantBlocks, removedCids },
    // The next head keeps the paths just written loaded and drops the rest
    // back to CIDs (src/repo/mst-trim.ts): the next write, usually on the same
    // path, decodes nothing, and the head does not grow with the repository.
    next: { did: head.did, cid: commitCid, commit, data: trimmed(data, writes) },
  }
}

/** The same answer through @atproto/repo, should a node the fast walk needs not be in memory. */
async function libraryDiff(data: MST, previous: MST): Promise<SettledDiff> {
  const pointer = await data.getPointer()
  const { newMstBlocks, newLeafCids, removedCids } = await DataDiff.of(data, previous)
  return { pointer, newMstBlocks, newLeafCids, removedCids }
}

/**
 * Paths of a commit's last writes that the next head keeps loaded: a batch of
 * TID-keyed records shares one path anyway, and a batch spread over the tree
 * must not leave a path per write in memory (64 heads × 200 writes × depth).
 */
const KEPT_PATHS = 8

function trimmed(data: MST, writes: PreparedWrite[]): MST {
  trimToPaths(data, writes.slice(-KEPT_PATHS).map((w) => `${w.collection}/${w.rkey}`))
  return data
}

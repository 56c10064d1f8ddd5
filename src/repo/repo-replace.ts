/**
 * Replacing a whole public repository at once, for an account that brings
 * its repository from another server (importRepo): the old blocks, record
 * index and blob links go, the verified tree and its new head come in, all
 * in one transaction. No event is written: the account is deactivated while
 * it moves in, and relays hear of the tree as a #sync when it is activated.
 */
import type { Statement } from 'better-sqlite3'
import type { Db } from '../db/open-database.js'
import type { BlockTables } from './sql-repo-storage.js'
import type { RecordIndex } from './record-index.js'
import type { BlobIndex } from '../blob/blob-index.js'

export interface ReplacementRecord {
  collection: string
  rkey: string
  cid: string
  blobCids: string[]
}

export interface RepoReplacement {
  did: string
  commitCid: string
  rev: string
  /** Blocks of the new tree given here (commit, MST nodes, records), by CID bytes. */
  blocks: Iterable<[Uint8Array, Uint8Array]>
  records: ReplacementRecord[]
  /** Writes the blocks kept elsewhere (importRepo's staging table) into repo_block at `rev`; runs after the old blocks are gone. */
  copyBlocks?: (did: string, rev: string) => void
}

export class RepoReplacer {
  private dropBlocks: Statement<[string]>
  private dropRecords: Statement<[string]>
  private dropBlobLinks: Statement<[string, string]>

  constructor(
    private db: Db,
    private tables: BlockTables,
    private recordIndex: RecordIndex,
    private blobs: BlobIndex,
  ) {
    this.dropBlocks = db.prepare("DELETE FROM repo_block WHERE did = ? AND scope = ''")
    this.dropRecords = db.prepare("DELETE FROM record WHERE did = ? AND scope = ''")
    // Public record URIs only: scope records' links stay.
    this.dropBlobLinks = db.prepare("DELETE FROM record_blob WHERE did = ? AND record_uri LIKE ? ESCAPE '\\'")
  }

  /** Writes `r` over whatever public repo `did` had. Call inside a transaction. */
  replace(r: RepoReplacement): void {
    if (!this.db.inTransaction) throw new Error('a repository is replaced inside a transaction')
    const { did } = r
    this.dropBlocks.run(did)
    this.dropRecords.run(did)
    this.dropBlobLinks.run(did, `at://${did.replace(/[\\%_]/g, (m) => `\\${m}`)}/%`)
    for (const [cid, bytes] of r.blocks) this.tables.putBlock.run(did, '', cid, r.rev, bytes)
    r.copyBlocks?.(did, r.rev)
    for (const rec of r.records) {
      this.recordIndex.put(did, '', rec.collection, rec.rkey, rec.cid, r.rev)
      if (rec.blobCids.length > 0) this.blobs.linkRecord(did, `at://${did}/${rec.collection}/${rec.rkey}`, rec.blobCids)
    }
    this.tables.putRoot.run(did, '', r.commitCid, r.rev, new Date().toISOString())
  }
}

/**
 * @atproto/repo's RepoStorage on SQLite, for one repository: an account's
 * public repo (scope '') or one of its scope repos. Reads go straight to
 * `repo_block`; writes happen in RepoCommitter's transaction, not here, so
 * that a commit, its record index and its event row land together.
 */
import { BlockMap, ReadableBlockstore, type CommitData, type RepoStorage } from '@atproto/repo'
import type { Cid } from '@atproto/lex-data'
import { parseCid } from '@atproto/lex-data'
import type { Db } from '../db/open-database.js'
import type { Statement } from 'better-sqlite3'
import { blockEntriesByString, cidStringToBytes, cidStrings } from './raw-block-map.js'

/** Prepared statements over the block tables, shared by every repository. */
export class BlockTables {
  readonly getBlock: Statement<[string, string, Uint8Array], { content: Buffer }>
  readonly hasBlock: Statement<[string, string, Uint8Array], { one: number }>
  readonly putBlock: Statement<[string, string, Uint8Array, string, Uint8Array]>
  readonly deleteBlockIfUnreferenced: Statement<[string, string, Uint8Array, string, string, string]>
  readonly getRoot: Statement<[string, string], { cid: string; rev: string }>
  readonly putRoot: Statement<[string, string, string, string, string]>

  constructor(readonly db: Db) {
    this.getBlock = db.prepare('SELECT content FROM repo_block WHERE did = ? AND scope = ? AND cid = ?')
    this.hasBlock = db.prepare('SELECT 1 AS one FROM repo_block WHERE did = ? AND scope = ? AND cid = ?')
    // A block a later commit writes again (a record whose content is already
    // in the repo, say) takes that commit's rev: getRepo's `since` diff must
    // carry it, as the new leaf's content. A rev never moves backwards.
    this.putBlock = db.prepare(
      `INSERT INTO repo_block (did, scope, cid, rev, content) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (did, scope, cid) DO UPDATE SET rev = excluded.rev WHERE excluded.rev > repo_block.rev`,
    )
    this.deleteBlockIfUnreferenced = db.prepare(
      `DELETE FROM repo_block WHERE did = ? AND scope = ? AND cid = ?
         AND NOT EXISTS (SELECT 1 FROM record WHERE did = ? AND scope = ? AND cid = ?)`,
    )
    this.getRoot = db.prepare('SELECT cid, rev FROM repo_root WHERE did = ? AND scope = ?')
    this.putRoot = db.prepare(
      `INSERT INTO repo_root (did, scope, cid, rev, indexed_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (did, scope) DO UPDATE SET cid = excluded.cid, rev = excluded.rev, indexed_at = excluded.indexed_at`,
    )
  }

  /** Writes a commit's blocks and moves the head. Call inside a transaction. */
  applyCommit(did: string, scope: string, commit: CommitData): void {
    for (const cid of cidStrings(commit.removedCids)) {
      this.deleteBlockIfUnreferenced.run(did, scope, cidStringToBytes(cid), did, scope, cid)
    }
    for (const [cid, bytes] of blockEntriesByString(commit.newBlocks)) {
      this.putBlock.run(did, scope, cidStringToBytes(cid), commit.rev, bytes)
    }
    this.putRoot.run(did, scope, commit.cid.toString(), commit.rev, new Date().toISOString())
  }

}

export class SqlRepoStorage extends ReadableBlockstore implements RepoStorage {
  constructor(
    private tables: BlockTables,
    readonly did: string,
    readonly scope = '',
  ) {
    super()
  }

  async getRoot(): Promise<Cid | null> {
    const row = this.tables.getRoot.get(this.did, this.scope)
    return row ? parseCid(row.cid) : null
  }

  async getRootDetailed(): Promise<{ cid: Cid; rev: string } | null> {
    const row = this.tables.getRoot.get(this.did, this.scope)
    return row ? { cid: parseCid(row.cid), rev: row.rev } : null
  }

  async getBytes(cid: Cid): Promise<Uint8Array | null> {
    const row = this.tables.getBlock.get(this.did, this.scope, cid.bytes)
    return row ? row.content : null
  }

  async has(cid: Cid): Promise<boolean> {
    return this.tables.hasBlock.get(this.did, this.scope, cid.bytes) !== undefined
  }

  async getBlocks(cids: Cid[]): Promise<{ blocks: BlockMap; missing: Cid[] }> {
    const blocks = new BlockMap()
    const missing: Cid[] = []
    for (const cid of cids) {
      const row = this.tables.getBlock.get(this.did, this.scope, cid.bytes)
      if (row) blocks.set(cid, row.content)
      else missing.push(cid)
    }
    return { blocks, missing }
  }

  async putBlock(cid: Cid, block: Uint8Array, rev: string): Promise<void> {
    this.tables.putBlock.run(this.did, this.scope, cid.bytes, rev, block)
  }

  async putMany(blocks: BlockMap, rev: string): Promise<void> {
    this.tables.db.transaction(() => {
      blocks.forEach((bytes, cid) => this.tables.putBlock.run(this.did, this.scope, cid.bytes, rev, bytes))
    })()
  }

  async updateRoot(cid: Cid, rev: string): Promise<void> {
    this.tables.putRoot.run(this.did, this.scope, cid.toString(), rev, new Date().toISOString())
  }

  async applyCommit(commit: CommitData): Promise<void> {
    this.tables.db.transaction(() => this.tables.applyCommit(this.did, this.scope, commit))()
  }
}

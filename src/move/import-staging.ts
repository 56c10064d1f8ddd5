/**
 * Where importRepo keeps the blocks of a CAR while it checks them: a table
 * in the database (migrations/0013_import_staging.sql), written in batches
 * as the CAR streams in, read back by CID while the tree is verified, and
 * copied into repo_block by SQL when the import is stored. So memory holds
 * one batch of blocks, not the repository.
 *
 * Why a table and not a temp file: verification reads blocks by CID in tree
 * order, not in CAR order, so a file would need an index of its own; the
 * table has one, and the final copy is an INSERT … SELECT inside the same
 * database, in the transaction that replaces the repository, with no bytes
 * passing through JavaScript. A crash leaves only rows no repository points
 * at, deleted at the next start.
 *
 * @example
 * const staged = staging.begin()
 * try { for (const b of blocks) staged.add(b.cid.bytes, b.bytes); staged.flush(); … } finally { staged.drop() }
 */
import crypto from 'node:crypto'
import type { Statement } from 'better-sqlite3'
import { BlockMap, ReadableBlockstore } from '@atproto/repo'
import type { Cid } from '@atproto/lex-data'
import type { Db } from '../db/open-database.js'

/** Blocks are written to the table in transactions of about this many bytes. */
export const STAGE_BATCH_BYTES = 1024 * 1024

export class ImportStaging {
  readonly insert: Statement<[string, Uint8Array, Uint8Array]>
  readonly get: Statement<[string, Uint8Array], { content: Buffer }>
  readonly copyOne: Statement<[string, string, string, Uint8Array]>
  readonly dropImport: Statement<[string]>
  readonly count: Statement<[string], { n: number }>

  constructor(
    readonly db: Db,
    private batchBytes = STAGE_BATCH_BYTES,
  ) {
    this.insert = db.prepare('INSERT OR IGNORE INTO import_staged_block (import_id, cid, content) VALUES (?, ?, ?)')
    this.get = db.prepare('SELECT content FROM import_staged_block WHERE import_id = ? AND cid = ?')
    this.copyOne = db.prepare(
      `INSERT INTO repo_block (did, scope, cid, rev, content)
       SELECT ?, '', cid, ?, content FROM import_staged_block WHERE import_id = ? AND cid = ?
       ON CONFLICT (did, scope, cid) DO NOTHING`,
    )
    this.dropImport = db.prepare('DELETE FROM import_staged_block WHERE import_id = ?')
    this.count = db.prepare('SELECT COUNT(*) AS n FROM import_staged_block WHERE import_id = ?')
  }

  /** Deletes what imports cut short by a crash left; call at start, before any import runs. */
  purgeAll(): number {
    return this.db.prepare('DELETE FROM import_staged_block').run().changes
  }

  begin(): StagedImport {
    return new StagedImport(this, crypto.randomBytes(12).toString('base64url'), this.batchBytes)
  }
}

export class StagedImport extends ReadableBlockstore {
  private pending: [Uint8Array, Uint8Array][] = []
  private pendingBytes = 0
  private writeBatch: (rows: [Uint8Array, Uint8Array][]) => void

  constructor(
    private staging: ImportStaging,
    readonly id: string,
    private batchBytes: number,
  ) {
    super()
    this.writeBatch = staging.db.transaction((rows: [Uint8Array, Uint8Array][]) => {
      for (const [cid, bytes] of rows) staging.insert.run(id, cid, bytes)
    })
  }

  /** Queues a block (already checked against its CID); written with the batch it fills. */
  add(cid: Uint8Array, bytes: Uint8Array): void {
    this.pending.push([cid, bytes])
    this.pendingBytes += bytes.length
    if (this.pendingBytes >= this.batchBytes) this.flush()
  }

  flush(): void {
    if (this.pending.length === 0) return
    this.writeBatch(this.pending)
    this.pending = []
    this.pendingBytes = 0
  }

  /** How many distinct blocks are staged. */
  size(): number {
    return this.staging.count.get(this.id)!.n
  }

  /** Copies the staged block `cid` into `did`'s public repository at `rev`; inside the replacing transaction. */
  copyInto(did: string, rev: string, cid: Uint8Array): void {
    this.staging.copyOne.run(did, rev, this.id, cid)
  }

  /** Deletes this import's rows (after it is stored, or refused). */
  drop(): void {
    this.pending = []
    this.staging.dropImport.run(this.id)
  }

  async getBytes(cid: Cid): Promise<Uint8Array | null> {
    const row = this.staging.get.get(this.id, cid.bytes)
    return row ? new Uint8Array(row.content.buffer, row.content.byteOffset, row.content.byteLength) : null
  }

  async has(cid: Cid): Promise<boolean> {
    return (await this.getBytes(cid)) !== null
  }

  async getBlocks(cids: Cid[]): Promise<{ blocks: BlockMap; missing: Cid[] }> {
    const blocks = new BlockMap()
    const missing: Cid[] = []
    for (const cid of cids) {
      const bytes = await this.getBytes(cid)
      if (bytes) blocks.set(cid, bytes)
      else missing.push(cid)
    }
    return { blocks, missing }
  }
}

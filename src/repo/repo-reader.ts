/**
 * Reading repositories: a repo's head, records as JSON, proofs, blocks, and
 * whole-repo CAR exports. Exports stream from a dedicated read-only SQLite
 * connection holding one read transaction, so the CAR is one consistent
 * snapshot even when commits land while a slow client downloads it.
 */
import Database from 'better-sqlite3'
import { cborToLexRecord, getRecords } from '@atproto/repo'
import { lexToJson } from '@atproto/lexicon'
import { parseCid, type Cid } from '@atproto/lex-data'
import type { Db } from '../db/open-database.js'
import { carBlock, carHeader } from './car-writer.js'
import type { RecordIndex } from './record-index.js'
import type { CachedRecordJson } from './record-json-cache.js'
import { SqlRepoStorage, type BlockTables } from './sql-repo-storage.js'

export interface RecordView {
  uri: string
  cid: string
  value: unknown
}

const CHUNK_BYTES = 64 * 1024

export class RepoReader {
  constructor(
    private db: Db,
    private tables: BlockTables,
    private records: RecordIndex,
  ) {}

  head(did: string, scope = ''): { cid: string; rev: string } | null {
    return this.tables.getRoot.get(did, scope) ?? null
  }

  storage(did: string, scope = ''): SqlRepoStorage {
    return new SqlRepoStorage(this.tables, did, scope)
  }

  /** The record's value as data-model JSON, or null. */
  getRecord(did: string, collection: string, rkey: string, cid?: string, scope = ''): RecordView | null {
    const entry = this.records.getWithContent(did, scope, collection, rkey)
    if (!entry || (cid && entry.cid !== cid)) return null
    return { uri: `at://${did}/${collection}/${rkey}`, cid: entry.cid, value: recordJson(entry.content) }
  }

  /**
   * The getRecord answer for a public record as JSON text, from the cache
   * when it was read before and has not changed since.
   */
  getRecordJson(did: string, collection: string, rkey: string, cid?: string): string | null {
    const answer = this.cachedAnswer(did, collection, rkey)
    return answer && (!cid || answer.cid === cid) ? answer.json : null
  }

  /**
   * A public record's getRecord answer, cached: `currentCid` (known from the
   * record table) turns away a cached answer of another version.
   */
  private cachedAnswer(did: string, collection: string, rkey: string, currentCid?: string): CachedRecordJson | null {
    const cache = this.records.jsonCache
    const hit = cache.get(did, collection, rkey)
    if (hit && (currentCid === undefined || hit.cid === currentCid)) return hit
    const view = this.getRecord(did, collection, rkey)
    if (!view) return null
    const answer = { cid: view.cid, json: JSON.stringify(view) }
    cache.set(did, collection, rkey, answer.cid, answer.json)
    return answer
  }

  listRecords(did: string, collection: string, opts: { limit: number; cursor?: string; reverse?: boolean }, scope = '') {
    const rows = this.records.listWithContent(did, scope, collection, opts)
    const records = rows.map((r) => ({
      uri: `at://${did}/${collection}/${r.rkey}`,
      cid: r.cid,
      value: recordJson(r.content),
    }))
    return { records, cursor: rows.length === opts.limit ? rows[rows.length - 1].rkey : undefined }
  }

  /**
   * A page of a public collection as the listRecords answer's JSON text. Each
   * item is the getRecord answer (`{"uri","cid","value"}`, the same object
   * in the same order), so it comes from the record JSON cache when the
   * record was read before, and is put there when not: a listing read again
   * (an app paging through a collection, a second client) decodes and
   * encodes nothing. Measured: see the README's Performance section.
   */
  listRecordsJson(did: string, collection: string, opts: { limit: number; cursor?: string; reverse?: boolean }): string {
    // Keys and CIDs first: a record whose answer is cached needs no block read.
    const items: string[] = []
    const rows = this.records.listKeys(did, '', collection, opts)
    for (const r of rows) {
      const answer = this.cachedAnswer(did, collection, r.rkey, r.cid)
      if (answer) items.push(answer.json)
    }
    const cursor = rows.length === opts.limit ? `,"cursor":${JSON.stringify(rows[rows.length - 1].rkey)}` : ''
    return `{"records":[${items.join(',')}]${cursor}}`
  }

  collections(did: string, scope = ''): { collection: string; count: number }[] {
    return this.records.collections(did, scope)
  }

  /** CAR with the commit, the MST nodes proving the record (or its absence) and the record itself. */
  async recordProof(did: string, collection: string, rkey: string, scope = ''): Promise<AsyncIterable<Uint8Array> | null> {
    const head = this.head(did, scope)
    if (!head) return null
    return getRecords(this.storage(did, scope), parseCid(head.cid), [{ collection, rkey }])
  }

  /** The blocks asked for, from this repo only; `missing` lists the rest. */
  getBlocks(did: string, cids: Cid[], scope = ''): { found: [Cid, Uint8Array][]; missing: Cid[] } {
    const found: [Cid, Uint8Array][] = []
    const missing: Cid[] = []
    for (const cid of cids) {
      const row = this.tables.getBlock.get(did, scope, cid.bytes)
      if (row) found.push([cid, row.content])
      else missing.push(cid)
    }
    return { found, missing }
  }

  /**
   * The whole repo (or, with `since`, the blocks added after that rev) as a
   * CAR stream rooted at the current commit.
   */
  exportCar(did: string, opts: { since?: string; scope?: string } = {}): ReadableStream<Uint8Array> | null {
    const scope = opts.scope ?? ''
    const conn = new Database(this.db.name, { readonly: true, fileMustExist: true })
    conn.pragma('busy_timeout = 5000')
    conn.prepare('BEGIN').run()
    const root = conn.prepare('SELECT cid FROM repo_root WHERE did = ? AND scope = ?').get(did, scope) as { cid: string } | undefined
    if (!root) {
      conn.close()
      return null
    }
    const rows = opts.since
      ? conn.prepare('SELECT cid, content FROM repo_block WHERE did = ? AND scope = ? AND rev > ?').raw().iterate(did, scope, opts.since)
      : conn.prepare('SELECT cid, content FROM repo_block WHERE did = ? AND scope = ?').raw().iterate(did, scope)
    const iter = rows as IterableIterator<[Uint8Array, Uint8Array]>
    let headerSent = false
    const finish = () => {
      if (!conn.open) return
      iter.return?.()
      conn.close()
    }
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        try {
          const parts: Uint8Array[] = []
          let size = 0
          if (!headerSent) {
            parts.push(carHeader(parseCid(root.cid)))
            headerSent = true
          }
          while (size < CHUNK_BYTES) {
            const next = iter.next()
            if (next.done) {
              if (parts.length) controller.enqueue(Buffer.concat(parts))
              finish()
              controller.close()
              return
            }
            const block = carBlock(next.value[0], next.value[1])
            parts.push(block)
            size += block.length
          }
          controller.enqueue(Buffer.concat(parts))
        } catch (err) {
          finish()
          controller.error(err)
        }
      },
      cancel: finish,
    })
  }
}

/** A scope record block as data-model JSON. */
export const scopeRecordJson = (content: Uint8Array): unknown => recordJson(content)

/** A record block as data-model JSON. */
export function recordJson(content: Uint8Array): unknown {
  return lexToJson(cborToLexRecord(content) as never)
}

/**
 * The account's own public records written after a given commit (`rev`),
 * in commit order: what an AppView that reports having seen `rev` has not
 * indexed yet (read-after-write). Served by the (did, scope, rev) index of
 * migration 0007.
 *
 * @example
 * const { records } = since.list(did, '3kabc', ['app.bsky.feed.post', 'app.bsky.actor.profile'])
 */
import type { Db } from '../db/open-database.js'
import { recordJson } from './repo-reader.js'

export interface RecordSinceRev {
  uri: string
  cid: string
  collection: string
  rkey: string
  rev: string
  /** When Hearth wrote it (ISO 8601). */
  indexedAt: string
  /** Data-model JSON. */
  value: unknown
}

/** At most this many records are merged: more than that and the AppView is far behind, not a little. */
const MAX_RECORDS = 200

export class RecordsSinceRev {
  private stmt

  constructor(db: Db) {
    this.stmt = db.prepare<[string, string], { collection: string; rkey: string; cid: string; rev: string; indexed_at: string; content: Buffer }>(
      `SELECT r.collection, r.rkey, r.cid, r.rev, r.indexed_at, b.content FROM record r
       JOIN repo_block b ON b.did = r.did AND b.scope = r.scope AND b.cid = r.block_cid
       WHERE r.did = ? AND r.scope = '' AND r.rev > ? ORDER BY r.rev LIMIT ${MAX_RECORDS}`,
    )
  }

  list(did: string, rev: string, collections: readonly string[]): RecordSinceRev[] {
    return this.stmt
      .all(did, rev)
      .filter((r) => collections.includes(r.collection))
      .map((r) => ({
        uri: `at://${did}/${r.collection}/${r.rkey}`,
        cid: r.cid,
        collection: r.collection,
        rkey: r.rkey,
        rev: r.rev,
        indexedAt: r.indexed_at,
        value: recordJson(r.content),
      }))
  }
}

import { describe, expect, it } from 'vitest'
import { parseCid } from '@atproto/lex-data'
import { openDatabase } from '../db/open-database.js'
import { RecordIndex, fillMissingBlockCids } from './record-index.js'

const CID = 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm'

describe('record index', () => {
  it('fills the binary CID of rows written before it existed, once', () => {
    const db = openDatabase(':memory:')
    db.prepare(
      `INSERT INTO record (did, scope, collection, rkey, cid, rev, indexed_at) VALUES ('did:plc:a', '', 'app.x.y', 'k1', ?, 'r', 't')`,
    ).run(CID)
    expect(fillMissingBlockCids(db)).toBe(1)
    const row = db.prepare('SELECT block_cid FROM record').get() as { block_cid: Buffer }
    expect(Buffer.from(row.block_cid).equals(Buffer.from(parseCid(CID).bytes))).toBe(true)
    expect(fillMissingBlockCids(db)).toBe(0)
  })

  it('returns records with their blocks, newest key first or in reverse', () => {
    const db = openDatabase(':memory:')
    const index = new RecordIndex(db)
    const put = db.prepare(`INSERT INTO repo_block (did, scope, cid, rev, content) VALUES ('did:plc:a', '', ?, 'r', ?)`)
    put.run(parseCid(CID).bytes, Buffer.from([0xa0]))
    index.put('did:plc:a', '', 'app.x.y', 'k1', CID, 'r1')
    index.put('did:plc:a', '', 'app.x.y', 'k2', CID, 'r2')
    expect(index.listWithContent('did:plc:a', '', 'app.x.y', { limit: 10 }).map((r) => r.rkey)).toEqual(['k2', 'k1'])
    expect(index.listWithContent('did:plc:a', '', 'app.x.y', { limit: 10, reverse: true }).map((r) => r.rkey)).toEqual(['k1', 'k2'])
    expect(index.getWithContent('did:plc:a', '', 'app.x.y', 'k1')?.content).toEqual(Buffer.from([0xa0]))
    expect(index.getWithContent('did:plc:a', '', 'app.x.y', 'nope')).toBeNull()
  })
})

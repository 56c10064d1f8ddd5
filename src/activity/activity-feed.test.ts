import { describe, expect, it } from 'vitest'
import { parseCid } from '@atproto/lex-data'
import { openDatabase } from '../db/open-database.js'
import { EventLog } from '../sequencer/event-log.js'
import { ReadLog } from '../grant/read-log.js'
import { ActivityFeed, type ActivityItem } from './activity-feed.js'

const CID = parseCid('bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm')
const ALICE = 'did:plc:alice'
const BOB = 'did:plc:bob'

function setup() {
  const db = openDatabase(':memory:')
  db.pragma('foreign_keys = OFF') // read-log rows without grant rows: this test is about the feed
  const eventLog = new EventLog(db)
  const readLog = new ReadLog(db)
  const feed = new ActivityFeed(db, eventLog, readLog)
  const commit = (did: string, path: string, scope = '') =>
    eventLog.transaction(() =>
      eventLog.appendCommit({ repo: did, commit: CID, rev: '3k2aaaaaaaaa2', since: null, blocks: new Uint8Array(), ops: [{ action: 'create', path, cid: CID }], blobs: [] }, scope),
    )
  const read = (owner: string, scope: string) =>
    readLog.record({ grantId: 'g1', appDid: 'did:plc:app', ownerDid: owner, scope, method: 'dev.hearth.scope.listRecords', detail: '3 records' })
  return { feed, commit, read }
}

describe('ActivityFeed', () => {
  it('hands live commits and reads to the owner’s subscribers only, and stored ones by marks', () => {
    const { feed, commit, read } = setup()
    commit(ALICE, 'app.bsky.feed.post/1')
    const marks = feed.marks(ALICE)
    const seen: ActivityItem[] = []
    const stop = feed.subscribe(ALICE, (i) => seen.push(i))
    commit(BOB, 'app.bsky.feed.post/9')
    commit(ALICE, 'fit.steps/2', 'fit.steps')
    read(ALICE, 'fit.steps')
    read(BOB, 'fit.steps')
    expect(seen.map((i) => i.kind)).toEqual(['commit', 'read'])
    expect(seen[0]).toMatchObject({ kind: 'commit', repository: 'fit.steps', ops: [{ action: 'create', path: 'fit.steps/2' }] })
    expect(seen[1]).toMatchObject({ kind: 'read', appDid: 'did:plc:app', repository: 'fit.steps', detail: '3 records' })
    // What a page rendered at `marks` missed is exactly what came live.
    expect(feed.since(ALICE, marks.seq, marks.read).map((i) => i.id).sort()).toEqual(seen.map((i) => i.id).sort())
    expect(feed.recent(ALICE).length).toBe(3)
    stop()
    commit(ALICE, 'app.bsky.feed.post/3')
    expect(seen).toHaveLength(2)
    expect(feed.subscribers).toBe(0)
  })

  it('keeps the newest 100, newest first', () => {
    const { feed, commit } = setup()
    for (let i = 0; i < 120; i++) commit(ALICE, `app.bsky.feed.post/${i}`)
    const recent = feed.recent(ALICE)
    expect(recent).toHaveLength(100)
    expect(recent[0]).toMatchObject({ ops: [{ path: 'app.bsky.feed.post/119' }] })
  })

  it('ends every subscription on close', () => {
    const { feed } = setup()
    let ended = 0
    feed.subscribe(ALICE, () => {}, () => ended++)
    feed.subscribe(BOB, () => {}, () => ended++)
    feed.close()
    expect(ended).toBe(2)
    expect(feed.subscribers).toBe(0)
    feed.subscribe(ALICE, () => {}, () => ended++)
    expect(ended).toBe(3)
  })
})

/**
 * Cursor rules of subscribeRepos: replay from the log then live with no gap
 * and no duplicate (even with writes landing mid-replay), FutureCursor,
 * OutdatedCursor after pruning, live-only without a cursor, and a bad cursor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'
import { EventPruner } from '../../src/sequencer/event-pruner.js'
import { StreamReader, eventually } from './stream-reader.js'

const post = (text: string) => ({ $type: 'app.bsky.feed.post', text, createdAt: new Date().toISOString() })
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe('subscribeRepos cursor', () => {
  let server: TestServer
  let alice: TestAccount

  const write = (text: string) =>
    alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: 'app.bsky.feed.post', record: post(text) })
  /** One commit of twenty ~20 KB records: a 400 KB frame. */
  const bigWrite = (i: number) =>
    alice.agent.com.atproto.repo.applyWrites({
      repo: alice.did,
      writes: Array.from({ length: 20 }, (_, j) => ({
        $type: 'com.atproto.repo.applyWrites#create' as const,
        collection: 'com.example.bulk',
        value: { $type: 'com.example.bulk', n: i * 100 + j, data: 'x'.repeat(20_000) },
      })),
    })
  const lastSeq = () => server.pds.ctx.eventLog.lastSeq()

  beforeAll(async () => {
    server = await startTestServer()
    alice = await server.createAccount('alice')
  })
  afterAll(() => server?.close({ removeData: true }))

  it('replays exactly the missed events, then live ones, with writes landing during the replay', async () => {
    // ~10 MB to replay: more than loopback's socket buffers hold (~4 MB), so a reader that
    // does not read holds the replay up while the server waits for its socket to drain.
    for (let i = 0; i < 30; i++) await bigWrite(i)
    const middle = lastSeq() - 25
    const reader = await StreamReader.open(server.url, { cursor: middle, paused: true })
    await eventually(() => server.pds.ctx.firehose.stats().replaying === 1, 'the replay to start')
    const during: number[] = []
    for (let i = 0; i < 5; i++) {
      await write(`during replay ${i}`)
      during.push(lastSeq())
      // Still replaying when the write was acknowledged: this write happened mid-replay.
      expect(server.pds.ctx.firehose.stats().replaying).toBe(1)
    }
    reader.ws.resume()
    await eventually(() => server.pds.ctx.firehose.stats().live === 1, 'the reader to turn live')
    for (let i = 0; i < 5; i++) await write(`after replay ${i}`)
    await reader.untilSeq(lastSeq())
    expect(reader.seqs()).toEqual(range(middle + 1, lastSeq()))
    expect(reader.frames.every((f) => f.op === 1 && f.t === '#commit')).toBe(true)
    reader.close()
  })

  it('writes racing the connection are neither lost nor doubled', async () => {
    const start = lastSeq()
    const writes = Promise.all(Array.from({ length: 15 }, (_, i) => write(`race ${i}`)))
    const readers = await Promise.all(Array.from({ length: 5 }, () => StreamReader.open(server.url, { cursor: start })))
    await writes
    for (let i = 0; i < 3; i++) await write(`tail ${i}`)
    for (const r of readers) {
      await r.untilSeq(lastSeq())
      expect(r.seqs()).toEqual(range(start + 1, lastSeq()))
      r.close()
    }
  })

  it('a cursor at the newest event gives only what comes next', async () => {
    const now = lastSeq()
    const reader = await StreamReader.open(server.url, { cursor: now })
    await write('next')
    await reader.untilSeq(now + 1)
    expect(reader.seqs()).toEqual([now + 1])
    reader.close()
  })

  it('without a cursor, only live events', async () => {
    const before = lastSeq()
    const reader = await StreamReader.open(server.url)
    await eventually(() => server.pds.ctx.firehose.stats().live >= 1, 'the reader to be live')
    await write('live one')
    await write('live two')
    await reader.untilSeq(before + 2)
    expect(reader.seqs()).toEqual([before + 1, before + 2])
    reader.close()
  })

  it('a cursor in the future gets the error frame FutureCursor and a close', async () => {
    const reader = await StreamReader.open(server.url, { cursor: lastSeq() + 1000 })
    const closed = await reader.closed
    expect(reader.frames).toHaveLength(1)
    expect(reader.frames[0].op).toBe(-1)
    expect(reader.frames[0].body.error).toBe('FutureCursor')
    expect(closed.code).toBe(1008)
  })

  it('a cursor that is not a number gets InvalidRequest', async () => {
    const reader = await StreamReader.open(server.url, { cursor: 'soon' })
    await reader.closed
    expect(reader.frames.map((f) => [f.op, f.body.error])).toEqual([[-1, 'InvalidRequest']])
  })

  it('a plain GET is told to upgrade', async () => {
    const res = await fetch(`${server.url}/xrpc/com.atproto.sync.subscribeRepos`)
    expect(res.status).toBe(426)
    expect((await res.json()).error).toBe('InvalidRequest')
  })

  it('a cursor older than the kept events gets #info OutdatedCursor, then the oldest kept onwards', async () => {
    const all = await StreamReader.open(server.url, { cursor: 0 })
    await all.untilSeq(lastSeq())
    const frames = all.frames.filter((f) => f.t !== '#info')
    all.close()
    // Prune as if the retention window had passed the middle event.
    const cut = frames[Math.floor(frames.length / 2)].body
    const pruner = new EventPruner(server.pds.ctx.eventLog, { retentionHours: 1 })
    const deleted = await pruner.pruneNow(new Date(Date.parse(cut.time) + 3600_000))
    const kept = frames.filter((f) => f.body.time >= cut.time).map((f) => f.body.seq as number)
    expect(deleted).toBe(frames.length - kept.length)
    expect(server.pds.ctx.eventLog.oldestSeq()).toBe(kept[0])

    const reader = await StreamReader.open(server.url, { cursor: 3 })
    await write('after pruning')
    await reader.untilSeq(lastSeq())
    expect(reader.frames[0]).toMatchObject({ op: 1, t: '#info', body: { name: 'OutdatedCursor' } })
    expect(reader.seqs()).toEqual([...kept, lastSeq()])
    reader.close()

    // A cursor just before the oldest kept event missed nothing: no #info.
    const exact = await StreamReader.open(server.url, { cursor: kept[0] - 1 })
    await exact.untilSeq(lastSeq())
    expect(exact.frames[0].t).toBe('#commit')
    expect(exact.seqs()).toEqual([...kept, lastSeq()])
    exact.close()
  })
})

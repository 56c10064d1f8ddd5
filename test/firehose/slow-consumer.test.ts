/**
 * One subscriber that never reads is cut off with ConsumerTooSlow once its
 * queued bytes pass the configured bound, while fifty others keep receiving
 * every event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/test-server.js'
import { StreamReader, eventually } from './stream-reader.js'

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe('a slow firehose consumer', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ env: { HEARTH_FIREHOSE_MAX_BUFFER_BYTES: String(256 * 1024) } })
  })
  afterAll(() => server?.close({ removeData: true }))

  it('is cut off with ConsumerTooSlow while fifty others receive every event', async () => {
    const alice = await server.createAccount('alice')
    const fanout = server.pds.ctx.firehose
    const first = server.pds.ctx.eventLog.lastSeq() + 1
    const slow = await StreamReader.open(server.url, { paused: true })
    const others = await Promise.all(Array.from({ length: 50 }, () => StreamReader.open(server.url)))
    await eventually(() => fanout.stats().live === 51, 'all 51 subscribers to be live')

    // ~100 KB commits: loopback buffers take ~4 MB before the server's own queue grows.
    let writes = 0
    while (fanout.stats().cutOff === 0) {
      if (++writes > 400) throw new Error('the slow subscriber was never cut off')
      await alice.agent.com.atproto.repo.applyWrites({
        repo: alice.did,
        writes: Array.from({ length: 5 }, (_, j) => ({
          $type: 'com.atproto.repo.applyWrites#create' as const,
          collection: 'com.example.bulk',
          value: { $type: 'com.example.bulk', n: writes * 10 + j, data: 'y'.repeat(20_000) },
        })),
      })
    }
    expect(fanout.stats()).toMatchObject({ live: 50, cutOff: 1 })
    // Writes go on after the cut-off; the others must see those too.
    for (let i = 0; i < 5; i++) {
      await alice.agent.com.atproto.repo.createRecord({
        repo: alice.did,
        collection: 'app.bsky.feed.post',
        record: { $type: 'app.bsky.feed.post', text: `after ${i}`, createdAt: new Date().toISOString() },
      })
    }
    const last = server.pds.ctx.eventLog.lastSeq()
    for (const r of others) {
      await r.untilSeq(last)
      expect(r.seqs()).toEqual(range(first, last))
    }

    // When it finally reads: a run of events without a gap, then the error frame, then the close.
    slow.ws.resume()
    const closed = await slow.closed
    expect(closed.code).toBe(1008)
    const final = slow.frames[slow.frames.length - 1]
    expect(final.op).toBe(-1)
    expect(final.body.error).toBe('ConsumerTooSlow')
    const got = slow.seqs()
    expect(got.length).toBeGreaterThan(0)
    expect(got).toEqual(range(first, first + got.length - 1))
    expect(got[got.length - 1]).toBeLessThan(last)
    for (const r of others) r.close()
  })
})

/**
 * The getRecord load of `npm run bench` (scripts/bench-get-load.ts): split
 * over worker processes, every call is made once and counted, and a failing
 * call fails the run as it does from one process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer, type TestAccount } from '../helpers/test-server.js'
import { getRecordLoad, split } from '../../scripts/bench-get-load.js'

let server: TestServer
let alice: TestAccount
const collection = 'app.bsky.feed.post'
const rkeys: string[] = []

beforeAll(async () => {
  server = await startTestServer()
  alice = await server.createAccount('alice')
  for (let i = 0; i < 5; i++) {
    const res = await alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection, record: { $type: collection, text: `p${i}`, createdAt: new Date().toISOString() } })
    rkeys.push(res.data.uri.split('/').pop()!)
  }
})
afterAll(async () => server.close({ removeData: true }))

/** getRecord calls the server has answered so far, from its metrics. */
async function served(): Promise<number> {
  const text = await (server.pds as any).ctx.metrics.text().then((m: { body: string }) => m.body)
  let n = 0
  for (const line of text.split('\n')) {
    if (line.startsWith('hearth_http_requests_total') && line.includes('com.atproto.repo.getRecord') && line.includes('status="200"')) n += Number(line.split(' ').pop())
  }
  return n
}

describe('getRecordLoad', () => {
  it('splits the total and the concurrency evenly', () => {
    expect(split(16, 3)).toEqual([6, 5, 5])
    expect(split(4000, 2)).toEqual([2000, 2000])
    expect(split(7, 7)).toEqual([1, 1, 1, 1, 1, 1, 1])
  })

  it('makes every call once from two worker processes and merges the counts', async () => {
    const before = await served()
    const res = await getRecordLoad({ url: server.url, did: alice.did, collection, rkeys, requests: 60, concurrency: 4, workers: 2 })
    expect(res).toMatchObject({ requests: 60, concurrency: 4, workers: 2 })
    expect(res.perSec).toBeGreaterThan(0)
    expect(res.clientCpuMsPerRequest).toBeGreaterThan(0)
    // 60 timed calls plus each worker's warm-up (as many as its share, at most 200).
    expect((await served()) - before).toBe(60 + 60)
  }, 120_000)

  it('fails the run when a call fails, from workers as in one process', async () => {
    const bad = { url: server.url, did: alice.did, collection, rkeys: ['nonexistent'], requests: 10, concurrency: 2 }
    await expect(getRecordLoad({ ...bad, workers: 2 })).rejects.toThrow(/load worker/)
    await expect(getRecordLoad({ ...bad, workers: 1 })).rejects.toThrow()
  }, 120_000)
})

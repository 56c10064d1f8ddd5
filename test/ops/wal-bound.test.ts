/**
 * The write-ahead log stays bounded under steady writes: with a lowered
 * HEARTH_WAL_MAX_BYTES, thousands of writes leave a log that is cut back
 * below the bound once writes stop (it used to keep its peak size, growing
 * with every write until restart). While writes go on the log is reused from
 * its start, never cut to zero: cutting a large file holds every writer
 * (60-90 ms for a 36-61 MB log), so that waits until writes pause.
 * Figures for 10,000 writes: scripts/bench-wal.ts.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/test-server.js'

const MAX_WAL = 256 * 1024
const THING = 'com.example.thing'

describe('WAL bound', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ env: { HEARTH_WAL_MAX_BYTES: String(MAX_WAL) } })
  })
  afterAll(() => server.close({ removeData: true }))

  it('a few thousand writes: the log passes the bound, then is cut back below it', { timeout: 240_000 }, async () => {
    const alice = await server.createAccount('alice')
    const wal = path.join(server.dataDir, 'hearth.sqlite-wal')
    const walSize = () => (fs.existsSync(wal) ? fs.statSync(wal).size : 0)
    let peak = 0
    const sampler = setInterval(() => (peak = Math.max(peak, walSize())), 50)
    // 3,000 records from 3 writers, 10 per commit.
    const writer = async (w: number) => {
      for (let b = 0; b < 100; b++) {
        const writes = Array.from({ length: 10 }, (_, i) => ({
          $type: 'com.atproto.repo.applyWrites#create' as const,
          collection: THING,
          rkey: `w${w}-${b}-${i}`,
          value: { $type: THING, text: `record ${w}/${b}/${i} `.repeat(8) },
        }))
        await alice.agent.com.atproto.repo.applyWrites({ repo: alice.did, writes })
      }
    }
    await Promise.all([0, 1, 2].map(writer))
    clearInterval(sampler)
    peak = Math.max(peak, walSize())
    expect(peak).toBeGreaterThan(MAX_WAL)
    // The checkpointer runs every second: give it time on a loaded machine.
    let size = walSize()
    for (let i = 0; i < 120 && size > MAX_WAL; i++) {
      await new Promise((r) => setTimeout(r, 250))
      size = walSize()
    }
    expect(size).toBeLessThanOrEqual(MAX_WAL)
    // Nothing lost, nothing corrupted.
    const db = server.pds.ctx.db
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    expect((db.prepare('SELECT count(*) AS n FROM record WHERE did = ? AND collection = ?').get(alice.did, THING) as { n: number }).n).toBe(3000)
  })
})

describe('WAL reuse under steady writes', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer()
  })
  afterAll(() => server.close({ removeData: true }))

  it('while writes go on the file is reused and never shrinks; once they pause it is cut to zero', { timeout: 120_000 }, async () => {
    const bob = await server.createAccount('bob')
    const wal = path.join(server.dataDir, 'hearth.sqlite-wal')
    const walSize = () => (fs.existsSync(wal) ? fs.statSync(wal).size : 0)
    // Far below the 64 MiB bound: reused from its start, the file keeps its size; cut, it shrinks.
    let previous = 0
    let shrinks = 0
    const sample = () => {
      const size = walSize()
      if (size < previous) shrinks++
      previous = size
    }
    const sampler = setInterval(sample, 5)
    const until = Date.now() + 3500
    let i = 0
    while (Date.now() < until) {
      await bob.agent.com.atproto.repo.createRecord({ repo: bob.did, collection: THING, record: { $type: THING, text: `steady ${i++} `.repeat(20) } })
    }
    clearInterval(sampler)
    sample()
    expect(i).toBeGreaterThan(50)
    expect(shrinks).toBe(0)
    // Paused: two ticks with nothing new, and the file's space is given back.
    let size = walSize()
    for (let t = 0; t < 120 && size > 0; t++) {
      await new Promise((r) => setTimeout(r, 250))
      size = walSize()
    }
    expect(size).toBe(0)
  })
})

/**
 * The write-ahead log stays bounded under steady writes: with a lowered
 * HEARTH_WAL_MAX_BYTES, thousands of writes leave a log that is cut back
 * below the bound once writes stop (it used to keep its peak size, growing
 * with every write until restart). Figures for 10,000 writes: scripts/bench-wal.ts.
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

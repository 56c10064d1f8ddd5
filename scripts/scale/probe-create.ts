/**
 * Where createRecord's tail comes from as a repository grows: grows one
 * repository to each size, then times sequential createRecords and prints
 * the slowest with their start time (ms since the server started), to line
 * up against the server's own trace (HEARTH_BENCH_NODE_ARGS=--trace-gc).
 *
 *   npx tsx scripts/scale/probe-create.ts 1000,10000,100000 [creates]
 */
import { startEmbeddedPlc } from '../../src/identity/embedded-plc.js'
import { spawnHearth } from '../bench-server.js'
import { stop } from './accounts.js'
import { percentiles, post, xrpcAccount } from './measure.js'

async function main() {
  const sizes = (process.argv[2] ?? '1000,10000,100000').split(',').map(Number)
  const count = Number(process.argv[3] ?? 1000)
  const plc = await startEmbeddedPlc()
  const t0 = Date.now()
  const hearth = await spawnHearth(plc.url, { skipBuild: true })
  try {
    const owner = await xrpcAccount(hearth.url, 'probe')
    // A second repository kept at 1,000 records, written in turn with the
    // growing one: both see the same machine load and the same server state,
    // so a gap between them is the repository's size alone.
    const small = await xrpcAccount(hearth.url, 'small')
    await grow(small, 0, 1000)
    let total = 0
    for (const size of sizes) {
      total = await grow(owner, total, size)
      const lat: { at: number; ms: number }[] = []
      const control: number[] = []
      for (let i = 0; i < count; i++) {
        for (const [who, into] of [[owner, lat], [small, control]] as const) {
          const at = Date.now() - t0
          const s = performance.now()
          await who.agent.com.atproto.repo.createRecord({ repo: who.did, collection: 'app.bsky.feed.post', record: post(`probe ${i}`) })
          if (into === lat) lat.push({ at, ms: performance.now() - s })
          else control.push(performance.now() - s)
        }
      }
      total += count
      const slow = [...lat].sort((a, b) => b.ms - a.ms).slice(0, 12)
      console.log(JSON.stringify({ records: total, ...percentiles(lat.map((l) => l.ms)), control1k: percentiles(control), slowest: slow.map((l) => `${l.at}:${l.ms.toFixed(0)}`) }))
    }
  } finally {
    await stop(hearth)
    await plc.close()
  }
}

async function grow(who: { did: string; agent: import('@atproto/api').AtpAgent }, from: number, to: number): Promise<number> {
  let total = from
  while (total < to) {
    const n = Math.min(200, to - total)
    await who.agent.com.atproto.repo.applyWrites({
      repo: who.did,
      writes: Array.from({ length: n }, (_, i) => ({ $type: 'com.atproto.repo.applyWrites#create' as const, collection: 'app.bsky.feed.post', value: post(`grow ${total + i}`) })),
    })
    total += n
  }
  return total
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})

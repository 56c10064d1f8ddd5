/**
 * createRecord as one repository grows, measured so that load from other
 * work on the machine cancels out: every server measured runs at once, and
 * requests go to each in turn (this build's server, and another build's when
 * `--before <its dist/src/main.js>` is given), each with a repository grown
 * to the size and a control repository kept at 1,000 records. A gap between
 * a server's two repositories is the repository's size alone; a gap between
 * the servers is the build. Per stream: p50/p99 wall time, and the server's
 * own CPU per request (from /proc, which neighbours do not skew) measured
 * over blocks of requests to that server alone.
 *
 *   npx tsx scripts/scale/probe-create.ts [--sizes 1000,10000,100000] [--creates 300] [--before /path/dist/src/main.js]
 */
import type { AtpAgent } from '@atproto/api'
import { startEmbeddedPlc } from '../../src/identity/embedded-plc.js'
import { spawnHearth } from '../bench-server.js'
import { stop } from './accounts.js'
import { cpuMs, percentiles, post, round, xrpcAccount } from './measure.js'

type Account = { did: string; agent: AtpAgent }

async function main() {
  const arg = (name: string, dflt: string) => {
    const i = process.argv.indexOf(name)
    return i >= 0 ? process.argv[i + 1] : dflt
  }
  const sizes = arg('--sizes', '1000,10000,100000').split(',').map(Number)
  const count = Number(arg('--creates', '300'))
  const before = arg('--before', '')
  const plc = await startEmbeddedPlc()
  const builds = before ? [['before', before], ['after', undefined]] as const : [['this build', undefined]] as const
  const servers = []
  try {
    for (const [name, main] of builds) servers.push({ name, hearth: await spawnHearth(plc.url, { skipBuild: true, main }) })
    const repos = await Promise.all(
      servers.map(async (s) => {
        const big = await xrpcAccount(s.hearth.url, 'probe')
        const small = await xrpcAccount(s.hearth.url, 'small')
        await grow(small, 0, 1000)
        return { big, small, total: 0 }
      }),
    )
    const out = []
    for (const size of sizes) {
      await Promise.all(repos.map(async (r) => (r.total = await grow(r.big, r.total, size))))
      const lat = servers.map(() => ({ big: [] as number[], small: [] as number[] }))
      const cpu = servers.map(() => ({ big: 0, small: 0 }))
      // Blocks of 10 requests to one (server, repository), in turn: the server's CPU over a block is that block's.
      for (let i = 0; i < count; i += 10) {
        for (let s = 0; s < servers.length; s++) {
          for (const which of ['big', 'small'] as const) {
            const who = repos[s][which]
            const c0 = cpuMs(servers[s].hearth.child.pid)!
            for (let k = 0; k < 10; k++) {
              const t = performance.now()
              await who.agent.com.atproto.repo.createRecord({ repo: who.did, collection: 'app.bsky.feed.post', record: post(`probe ${i + k}`) })
              lat[s][which].push(performance.now() - t)
            }
            cpu[s][which] += cpuMs(servers[s].hearth.child.pid)! - c0
          }
        }
      }
      for (const r of repos) r.total += count
      const row = {
        records: size,
        ...Object.fromEntries(
          servers.map((s, i) => [
            s.name,
            {
              grown: { ...percentiles(lat[i].big), serverCpuMs: round(cpu[i].big / lat[i].big.length, 2) },
              control1k: { ...percentiles(lat[i].small), serverCpuMs: round(cpu[i].small / lat[i].small.length, 2) },
            },
          ]),
        ),
      }
      out.push(row)
      console.log(JSON.stringify(row))
    }
  } finally {
    for (const s of servers) await stop(s.hearth)
    await plc.close()
  }
}

async function grow(who: Account, from: number, to: number): Promise<number> {
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

/**
 * Proxy benchmark: proxied app.bsky.feed.getTimeline through Hearth against
 * the real AppView (@atproto/bsky on a private PostgreSQL, as in
 * test/network/appview.slow.test.ts), compared with calling the AppView
 * directly with a service token from getServiceAuth. Reports requests/s at a
 * given concurrency and per-request latency (p50/p99) one at a time; the
 * difference is what Hearth adds (auth check, token minting, forwarding,
 * read-after-write's rev check). Everything runs in this one process on
 * loopback, so Hearth and the AppView share the CPU: read the figures as
 * relative.
 *
 * Needs Debian's PostgreSQL binaries (/usr/lib/postgresql/<n>/bin).
 *
 * @example
 * //   npx tsx scripts/bench-proxy.ts --seconds 10 --concurrency 8 --posts 30
 */
import { performance } from 'node:perf_hooks'
import { AtpAgent } from '@atproto/api'
import { freePort, startTestPlc, startTestServer } from '../test/helpers/test-server.js'
import { planAppView, startAppView } from '../test/network/appview-rig.js'

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? def : Number(process.argv[i + 1])
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]

async function latencies(call: () => Promise<unknown>, count: number): Promise<{ p50ms: number; p99ms: number }> {
  const times: number[] = []
  for (let i = 0; i < count; i++) {
    const t = performance.now()
    await call()
    times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  return { p50ms: round(quantile(times, 0.5)), p99ms: round(quantile(times, 0.99)) }
}

async function throughput(call: () => Promise<unknown>, seconds: number, concurrency: number): Promise<number> {
  const end = performance.now() + seconds * 1000
  let done = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await call()
        done++
      }
    }),
  )
  return Math.round(done / seconds)
}

const round = (n: number) => Math.round(n * 100) / 100

async function main() {
  const seconds = arg('seconds', 10)
  const concurrency = arg('concurrency', 8)
  const posts = arg('posts', 30)
  const samples = arg('samples', 300)

  const plc = await startTestPlc()
  const plan = await planAppView()
  const port = await freePort()
  const server = await startTestServer({
    plc,
    config: { port } as never,
    env: { HEARTH_APPVIEW_URL: plan.url, HEARTH_APPVIEW_DID: plan.did, HEARTH_PROXY_ALLOW_HTTP_LOOPBACK: 'true', HEARTH_VALIDATE_OUTPUT: 'false' },
  })
  const appView = await startAppView(plan, { plcUrl: plc.url, repoProvider: `ws://localhost:${port}` })
  try {
    const alice = await server.createAccount('alice')
    const bob = await server.createAccount('bob')
    await alice.agent.follow(bob.did)
    for (let i = 0; i < posts; i++) await bob.agent.post({ text: `post ${i}` })
    // Wait until the AppView has it all: the timeline is full and alice's rev is current.
    for (;;) {
      const res = await alice.agent.getTimeline({ limit: 50 })
      if (res.data.feed.length >= posts && res.headers['atproto-upstream-lag'] === undefined) break
      await new Promise((r) => setTimeout(r, 200))
    }
    const { data } = await alice.agent.com.atproto.server.getServiceAuth({
      aud: plan.did,
      lxm: 'app.bsky.feed.getTimeline',
      exp: Math.floor(Date.now() / 1000) + 3000,
    })
    const direct = new AtpAgent({ service: plan.url })
    const headers = { authorization: `Bearer ${data.token}` }
    const viaHearth = () => alice.agent.getTimeline({ limit: 50 })
    const atAppView = () => direct.app.bsky.feed.getTimeline({ limit: 50 }, { headers })
    const check = await atAppView()
    if (check.data.feed.length < posts) throw new Error('the direct call does not see the same timeline')

    // Warm both paths (JIT, connection pools, caches).
    await latencies(viaHearth, 50)
    await latencies(atAppView, 50)
    const directLatency = await latencies(atAppView, samples)
    const proxiedLatency = await latencies(viaHearth, samples)
    const directRps = await throughput(atAppView, seconds, concurrency)
    const proxiedRps = await throughput(viaHearth, seconds, concurrency)
    console.log(
      JSON.stringify(
        {
          method: 'app.bsky.feed.getTimeline (limit 50, ' + posts + ' posts)',
          concurrency,
          seconds,
          direct: { reqPerSec: directRps, ...directLatency },
          proxied: { reqPerSec: proxiedRps, ...proxiedLatency },
          addedByHearth: { p50ms: round(proxiedLatency.p50ms - directLatency.p50ms), p99ms: round(proxiedLatency.p99ms - directLatency.p99ms) },
        },
        null,
        2,
      ),
    )
  } finally {
    await appView.stop()
    await server.close({ removeData: true })
    await plc.close()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})

/**
 * Live activity, measured: N browsers' activity streams (Server-Sent Events
 * on a web session) open on one account, W writes through XRPC; for each
 * write, the time from sending it until every stream has shown it. Then the
 * server is stopped with the streams still open (SIGTERM must not wait for
 * them).
 *
 *   npx tsx scripts/bench-activity.ts [--streams 20] [--writes 200]
 *
 * Prints a JSON summary.
 */
import fs from 'node:fs'
import { performance } from 'node:perf_hooks'
import { AtpAgent } from '@atproto/api'
import { startEmbeddedPlc } from '../src/identity/embedded-plc.js'
import { spawnHearth } from './bench-server.js'

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : def
}
const STREAMS = arg('streams', 20)
const WRITES = arg('writes', 200)
const pct = (xs: number[], p: number) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]
const round = (n: number) => Math.round(n * 100) / 100

/** Signs in to the pages with a password, as a browser does; returns the Cookie header. */
async function webSession(url: string, handle: string, password: string): Promise<string> {
  const page = await fetch(`${url}/sign-in`)
  const browser = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]
  const res = await fetch(`${url}/sign-in/password`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: browser, 'content-type': 'application/x-www-form-urlencoded', origin: url },
    body: new URLSearchParams({ _csrf: csrf, identifier: handle, password }),
  })
  const session = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  if (!session.includes('hearth_session=')) throw new Error(`sign-in failed: ${res.status}`)
  return `${browser}; ${session}`
}

async function main() {
  const plc = await startEmbeddedPlc()
  const hearth = await spawnHearth(plc.url)
  try {
    const agent = new AtpAgent({ service: hearth.url })
    await agent.createAccount({ handle: 'bench.test', password: 'bench-password', email: 'bench@example.com' })
    const cookie = await webSession(hearth.url, 'bench.test', 'bench-password')

    // path → when each stream saw it
    const seen = new Map<string, number[]>()
    const aborts: AbortController[] = []
    for (let s = 0; s < STREAMS; s++) {
      const abort = new AbortController()
      aborts.push(abort)
      const res = await fetch(`${hearth.url}/account/activity/stream?seq=999999999&read=999999999`, {
        headers: { cookie, accept: 'text/event-stream' },
        signal: abort.signal,
      })
      void (async () => {
        const decoder = new TextDecoder()
        let buffered = ''
        try {
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
            buffered += decoder.decode(chunk, { stream: true })
            let end: number
            while ((end = buffered.indexOf('\n\n')) >= 0) {
              const message = buffered.slice(0, end)
              buffered = buffered.slice(end + 2)
              const data = /^data: (.*)$/m.exec(message)?.[1]
              if (!data) continue
              const m = /created (\S+)/.exec(JSON.parse(data).detail as string)
              if (m) (seen.get(m[1]) ?? seen.set(m[1], []).get(m[1])!).push(performance.now())
            }
          }
        } catch {
          // aborted at the end
        }
      })()
    }

    const latencies: number[] = []
    const started = performance.now()
    for (let i = 0; i < WRITES; i++) {
      const t0 = performance.now()
      const { data } = await agent.com.atproto.repo.createRecord({
        repo: agent.session!.did,
        collection: 'app.bsky.feed.post',
        record: { $type: 'app.bsky.feed.post', text: `activity ${i}`, createdAt: new Date().toISOString() },
      })
      const path = `app.bsky.feed.post/${data.uri.split('/').pop()}`
      const deadline = performance.now() + 10_000
      while ((seen.get(path)?.length ?? 0) < STREAMS && performance.now() < deadline) await new Promise((r) => setTimeout(r, 1))
      const times = seen.get(path) ?? []
      if (times.length < STREAMS) throw new Error(`write ${i}: only ${times.length} of ${STREAMS} streams saw it`)
      latencies.push(Math.max(...times) - t0)
    }
    const elapsed = performance.now() - started

    // Stop the server with every stream still open.
    const t0 = performance.now()
    hearth.child.kill('SIGTERM')
    const code = await new Promise<number | null>((resolve) => hearth.child.once('exit', (c) => resolve(c)))
    const shutdownMs = performance.now() - t0
    for (const a of aborts) a.abort()

    console.log(
      JSON.stringify(
        {
          streams: STREAMS,
          writes: WRITES,
          writeToAllStreamsMs: { p50: round(pct(latencies, 50)), p90: round(pct(latencies, 90)), p99: round(pct(latencies, 99)), max: round(Math.max(...latencies)) },
          writesPerSecond: round(WRITES / (elapsed / 1000)),
          shutdownWithStreamsOpen: { ms: round(shutdownMs), exitCode: code },
        },
        null,
        2,
      ),
    )
  } finally {
    if (hearth.child.exitCode === null) hearth.child.kill('SIGKILL')
    await plc.close()
    fs.rmSync(hearth.dataDir, { recursive: true, force: true })
  }
}

await main()

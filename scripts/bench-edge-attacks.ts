/**
 * Memory under two attacks on the public edge, rate limits on (the default),
 * against Hearth as `npm start` runs it:
 * - 2,400 failed createSessions with 60 KB identifiers (each used to keep
 *   budget windows keyed by the identifier);
 * - 40 createSession bodies of 2 MiB, half with Content-Length, half chunked
 *   (they used to get no answer at all).
 * Prints the server's RSS before and after each, its peak, and how many
 * oversized requests were answered (413) within 5 s.
 *
 *   npx tsx scripts/bench-edge-attacks.ts
 */
import fs from 'node:fs'
import http from 'node:http'
import { startEmbeddedPlc } from '../src/identity/embedded-plc.js'
import { peakRssMiB, spawnHearth } from './bench-server.js'

const rssMiB = (pid: number) => Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 102.4) / 10

function post(url: string, body: Buffer, chunked: boolean): Promise<number | 'no answer'> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (!chunked) headers['content-length'] = String(body.length)
    const req = http.request(url, { method: 'POST', headers })
    const timer = setTimeout(() => {
      req.destroy()
      resolve('no answer')
    }, 5000)
    req.on('response', (res) => {
      res.resume()
      res.on('end', () => {
        clearTimeout(timer)
        resolve(res.statusCode!)
      })
    })
    req.on('error', () => {})
    for (let at = 0; at < body.length; at += 64 * 1024) req.write(body.subarray(at, at + 64 * 1024))
    req.end()
  })
}

const plc = await startEmbeddedPlc()
const { child, dataDir, url } = await spawnHearth(plc.url, { env: { HEARTH_RATE_LIMITS: 'on', HEARTH_RATE_SESSIONS_PER_IP: '1000000' } })
const pid = child.pid!
const out: Record<string, unknown> = {}
try {
  const endpoint = `${url}/xrpc/com.atproto.server.createSession`
  out.rssStartMiB = rssMiB(pid)
  const statuses = new Map<string, number>()
  for (let i = 0; i < 2400; i += 8) {
    const batch = Array.from({ length: 8 }, (_, j) =>
      fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ identifier: `${i + j}-${'x'.repeat(60_000)}`, password: 'wrong' }),
      }).then(async (r) => {
        await r.arrayBuffer()
        statuses.set(String(r.status), (statuses.get(String(r.status)) ?? 0) + 1)
      }),
    )
    await Promise.all(batch)
  }
  await new Promise((r) => setTimeout(r, 2000))
  out.longIdentifiers = Object.fromEntries(statuses)
  out.rssAfterLongIdentifiersMiB = rssMiB(pid)

  const big = Buffer.from(JSON.stringify({ identifier: 'someone.test', password: 'p'.repeat(2 * 1024 * 1024) }))
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => post(endpoint, big, i % 2 === 1)))
  const counted: Record<string, number> = {}
  for (const a of answers) counted[String(a)] = (counted[String(a)] ?? 0) + 1
  out.oversizedBodies = counted
  await new Promise((r) => setTimeout(r, 3000))
  out.rssAfterOversizedMiB = rssMiB(pid)
  out.peakRssMiB = peakRssMiB(pid)
  console.log(JSON.stringify(out))
} finally {
  child.kill('SIGKILL')
  await new Promise((r) => child.once('exit', r))
  await plc.close()
  fs.rmSync(dataDir, { recursive: true, force: true })
}

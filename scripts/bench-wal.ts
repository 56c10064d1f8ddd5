/**
 * The write-ahead log under steady writes: 10,000 createRecords from 4
 * writers against Hearth as `npm start` runs it, sampling the size of
 * `hearth.sqlite-wal` every 100 ms. Prints the peak WAL size, its size 10 s
 * after the writes stop, the database size and the server's peak RSS.
 *
 *   npx tsx scripts/bench-wal.ts [--writes 10000] [--writers 4]
 *   HEARTH_WAL_MAX_BYTES=16777216 npx tsx scripts/bench-wal.ts   # another bound
 */
import fs from 'node:fs'
import path from 'node:path'
import { AtpAgent } from '@atproto/api'
import { startEmbeddedPlc } from '../src/identity/embedded-plc.js'
import { peakRssMiB, spawnHearth } from './bench-server.js'

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : def
}
const WRITES = arg('writes', 10_000)
const WRITERS = arg('writers', 4)
const MiB = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10
const size = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0)

const plc = await startEmbeddedPlc()
const { child, dataDir, url } = await spawnHearth(plc.url)
try {
  const wal = path.join(dataDir, 'hearth.sqlite-wal')
  const agent = new AtpAgent({ service: url })
  await agent.createAccount({ handle: 'walbench.test', password: 'bench-password-1', email: 'walbench@bench.invalid' })
  const did = agent.session!.did
  let peak = 0
  const sampler = setInterval(() => (peak = Math.max(peak, size(wal))), 100)
  let next = 0
  const started = Date.now()
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (next < WRITES) {
        const n = next++
        await agent.com.atproto.repo.createRecord({
          repo: did,
          collection: 'app.bsky.feed.post',
          record: { $type: 'app.bsky.feed.post', text: `post ${n}: ${'some words '.repeat(10)}`, createdAt: new Date().toISOString() },
        })
      }
    }),
  )
  const seconds = (Date.now() - started) / 1000
  peak = Math.max(peak, size(wal))
  await new Promise((r) => setTimeout(r, 10_000))
  clearInterval(sampler)
  console.log(
    JSON.stringify({
      writes: WRITES,
      writers: WRITERS,
      seconds: Math.round(seconds * 10) / 10,
      walMaxBytes: process.env.HEARTH_WAL_MAX_BYTES ?? 'default',
      peakWalMiB: MiB(peak),
      walAfter10sMiB: MiB(size(wal)),
      databaseMiB: MiB(size(path.join(dataDir, 'hearth.sqlite'))),
      serverPeakRssMiB: peakRssMiB(child.pid!),
    }),
  )
} finally {
  child.kill('SIGTERM')
  await new Promise((r) => child.once('exit', r))
  await plc.close()
  fs.rmSync(dataDir, { recursive: true, force: true })
}

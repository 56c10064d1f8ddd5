/**
 * `npm run bench`: the standard workload against a running PDS, driven by
 * @atproto/api like any client, printing one JSON summary.
 *
 *   npm run bench -- --url http://localhost:2583 [--invite CODE]
 *   npm run bench -- --spawn            # starts its own Hearth (temp data dir) and reports its peak RSS
 *   npm run bench -- --spawn --workers 2
 *
 * Works against any PDS (the reference one included), so figures can be
 * taken side by side on the same machine.
 *
 * `--workers N` (default 1) sends the getRecord phase (concurrency 16 in
 * all) from N client processes instead of this one, each running
 * @atproto/api on its share of the calls and of the concurrency; counts are
 * merged (scripts/bench-get-load.ts). One client process spends more CPU per
 * getRecord than Hearth does answering it, so with one worker that phase
 * measures the client; the split is the same for any `--url`, so compare
 * servers at the same N. `getRecord.clientCpuMsPerRequest` is what the
 * client side cost. The other phases are sequential and stay in this process.
 *
 * createRecord is timed twice: the first `--creates` (300) calls on a fresh
 * server and account, as earlier rounds reported it (`createRecord`), and
 * then `--steady-creates` (1,000) more (`createRecordSteady`). A fresh
 * server and a fresh client both take several hundred calls to reach their
 * steady pace (their JIT settling: the client's own time between an answer
 * and its next call went from ~2.9 to ~1.6 ms over 2,000 creates here), and
 * 300 calls are about a second of Hearth, so one of the machine's swings in
 * speed decides them; the longer run measures what a server that has been
 * up for a while does, as the getRecord phase does after its warm-up.
 */
import type { ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { AtpAgent } from '@atproto/api'
import { startEmbeddedPlc, type EmbeddedPlc } from '../src/identity/embedded-plc.js'
import { peakRssMiB, spawnHearth } from './bench-server.js'
import { getRecordLoad } from './bench-get-load.js'

interface Options {
  url: string
  invite?: string
  spawn: boolean
  creates: number
  steadyCreates: number
  batches: number
  getRecords: number
  repoSize: number
  firehose: boolean
  workers: number
}

/**
 * getRecord calls in the timed part. On a 2-core machine that phase is
 * bound by the client's CPU, and the machine's speed swings from second to
 * second (consecutive 2,000-call blocks cost the client 0.34 to 0.82 ms a
 * call); 4,000 calls were two seconds of Hearth, so one swing decided the
 * figure. 20,000 calls take ~8 s on Hearth and ~40 s on the reference PDS.
 */
const GET_RECORDS = 20_000

/** createRecord calls timed after the fresh server's first `--creates` (see the top of this file). */
const STEADY_CREATES = 1_000

function parseArgs(argv: string[]): Options {
  const o: Options = { url: 'http://localhost:2583', spawn: false, creates: 300, steadyCreates: STEADY_CREATES, batches: 10, getRecords: GET_RECORDS, repoSize: 3000, firehose: true, workers: 1 }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const next = () => argv[++i]
    if (a === '--url') o.url = next()
    else if (a === '--invite') o.invite = next()
    else if (a === '--spawn') o.spawn = true
    else if (a === '--creates') o.creates = Number(next())
    else if (a === '--steady-creates') o.steadyCreates = Number(next())
    else if (a === '--batches') o.batches = Number(next())
    else if (a === '--get-records') o.getRecords = Number(next())
    else if (a === '--repo-size') o.repoSize = Number(next())
    else if (a === '--no-firehose') o.firehose = false
    else if (a === '--workers') o.workers = Number(next())
    else throw new Error(`unknown argument ${a}`)
  }
  if (!Number.isInteger(o.workers) || o.workers < 1 || o.workers > 16) throw new Error('--workers takes a whole number from 1 to 16')
  return o
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d
const post = (i: number) => ({ $type: 'app.bsky.feed.post', text: `bench post ${i}`, createdAt: new Date().toISOString() })

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  let child: ChildProcess | null = null
  let dataDir: string | null = null
  let plc: EmbeddedPlc | null = null
  if (opts.spawn) {
    // The PLC directory runs in this (client) process, as a separate service
    // would: the server's figures, RSS included, are the server's alone.
    plc = await startEmbeddedPlc()
    ;({ child, dataDir, url: opts.url } = await spawnHearth(plc.url))
  }
  try {
    const summary = await run(opts, child)
    console.log(JSON.stringify(summary, null, 2))
  } finally {
    if (child) {
      child.kill('SIGTERM')
      await new Promise((r) => child!.once('exit', r))
      fs.rmSync(dataDir!, { recursive: true, force: true })
    }
    await plc?.close()
  }
}

async function run(opts: Options, child: ChildProcess | null) {
  const agent = new AtpAgent({ service: opts.url })
  const desc = await agent.com.atproto.server.describeServer()
  const domain = desc.data.availableUserDomains[0]
  const handle = `bench${Date.now().toString(36).slice(-8)}${domain}`
  await agent.createAccount({ handle, password: 'bench-password-1', email: `${handle}@bench.invalid`, inviteCode: opts.invite })
  const did = agent.session!.did
  const collection = 'app.bsky.feed.post'

  // 1. Sequential createRecord.
  const lat: number[] = []
  const rkeys: string[] = []
  const t0 = performance.now()
  for (let i = 0; i < opts.creates; i++) {
    const s = performance.now()
    const res = await agent.com.atproto.repo.createRecord({ repo: did, collection, record: post(i) })
    lat.push(performance.now() - s)
    rkeys.push(res.data.uri.split('/').pop()!)
  }
  const createSecs = (performance.now() - t0) / 1000
  lat.sort((a, b) => a - b)

  // 1b. The same, once the server (and this client) have warmed up.
  const steadyLat: number[] = []
  const tSteady = performance.now()
  for (let i = 0; i < opts.steadyCreates; i++) {
    const s = performance.now()
    await agent.com.atproto.repo.createRecord({ repo: did, collection, record: post(opts.creates + i) })
    steadyLat.push(performance.now() - s)
  }
  const steadySecs = (performance.now() - tSteady) / 1000
  steadyLat.sort((a, b) => a - b)

  // 2. applyWrites, batches of 100.
  const t1 = performance.now()
  for (let b = 0; b < opts.batches; b++) {
    await agent.com.atproto.repo.applyWrites({
      repo: did,
      writes: Array.from({ length: 100 }, (_, i) => ({
        $type: 'com.atproto.repo.applyWrites#create' as const,
        collection,
        value: post(opts.creates + opts.steadyCreates + b * 100 + i),
      })),
    })
  }
  const batchSecs = (performance.now() - t1) / 1000

  // Fill the repo up to the size getRepo is measured at.
  let total = opts.creates + opts.steadyCreates + opts.batches * 100
  while (total < opts.repoSize) {
    const n = Math.min(100, opts.repoSize - total)
    await agent.com.atproto.repo.applyWrites({
      repo: did,
      writes: Array.from({ length: n }, (_, i) => ({ $type: 'com.atproto.repo.applyWrites#create' as const, collection, value: post(total + i) })),
    })
    total += n
  }

  // 3. getRecord at concurrency 16, from one or several client processes.
  const getRecord = await getRecordLoad({ url: opts.url, did, collection, rkeys, requests: opts.getRecords, concurrency: 16, workers: opts.workers })
  const reader = new AtpAgent({ service: opts.url })

  // 4. listRecords, paging the whole collection (limit 100), three passes.
  let listed = 0
  const t3 = performance.now()
  for (let pass = 0; pass < 3; pass++) {
    let cursor: string | undefined
    do {
      const res = await reader.com.atproto.repo.listRecords({ repo: did, collection, limit: 100, cursor })
      listed += res.data.records.length
      cursor = res.data.cursor
    } while (cursor)
  }
  const listSecs = (performance.now() - t3) / 1000

  // 5. getRepo of the whole repo, five times.
  const repoTimes: number[] = []
  let carBytes = 0
  for (let i = 0; i < 5; i++) {
    const s = performance.now()
    const res = await reader.com.atproto.sync.getRepo({ did })
    repoTimes.push(performance.now() - s)
    carBytes = res.data.length
  }
  repoTimes.sort((a, b) => a - b)

  // 6. Firehose fan-out, when the fan-out benchmark is present.
  let firehose: unknown = 'skipped'
  if (opts.firehose) {
    const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bench-firehose.ts')
    if (fs.existsSync(file)) {
      const mod = (await import(pathToFileURL(file).href)) as { benchFirehose: (url: string, o?: object) => Promise<unknown> }
      firehose = await mod.benchFirehose(opts.url, { invite: opts.invite })
    }
  }

  return {
    server: opts.url,
    createRecord: {
      count: opts.creates,
      perSec: round(opts.creates / createSecs),
      p50ms: round(pct(lat, 50), 2),
      p99ms: round(pct(lat, 99), 2),
    },
    ...(opts.steadyCreates > 0
      ? {
          createRecordSteady: {
            count: opts.steadyCreates,
            after: opts.creates,
            perSec: round(opts.steadyCreates / steadySecs),
            p50ms: round(pct(steadyLat, 50), 2),
            p99ms: round(pct(steadyLat, 99), 2),
          },
        }
      : {}),
    applyWrites: { batches: opts.batches, batchSize: 100, recordsPerSec: round((opts.batches * 100) / batchSecs) },
    getRecord,
    listRecords: { records: listed, recordsPerSec: round(listed / listSecs) },
    getRepo: { records: total, carBytes, p50ms: round(pct(repoTimes, 50)), minMs: round(repoTimes[0]) },
    firehose,
    ...(child ? { serverPeakRssMiB: peakRssMiB(child.pid!) } : {}),
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})

/**
 * `npx tsx scripts/bench-blobs.ts`: blob upload and download throughput
 * (MB/s) for 1 MB and 50 MB blobs on both stores — the data folder and S3
 * (Ceph's object gateway, started here on loopback like the tests do) — and
 * the server's resident memory while a 50 MB blob streams in, which must
 * not grow with the blob's size (10 MB and 100 MB uploads are measured beside it).
 * Hearth runs as its own process (as `npm start` runs it), so its memory is
 * its own; uploads are streamed from a file, downloads read to the end.
 *
 * Options: --runs N (uploads per size, default 5 for 1 MB, 2 for 50 MB).
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { parseArgs } from 'node:util'
import { startEmbeddedPlc } from '../src/identity/embedded-plc.js'
import { startCephRgw } from '../test/helpers/ceph/ceph-rgw.js'
import { peakRssMiB, spawnHearth } from './bench-server.js'

const { values } = parseArgs({ options: { runs: { type: 'string' } } })
const MB = 1_000_000
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : 0
}

/** Peak VmRSS of `pid`, sampled every 10 ms while `work` runs. */
async function peakDuring<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; peakMiB: number; beforeMiB: number }> {
  const beforeMiB = rssMiB(pid)
  let peakMiB = beforeMiB
  const timer = setInterval(() => (peakMiB = Math.max(peakMiB, rssMiB(pid))), 10)
  try {
    const result = await work()
    return { result, peakMiB: Math.max(peakMiB, rssMiB(pid)), beforeMiB }
  } finally {
    clearInterval(timer)
  }
}

async function benchStore(name: string, plcUrl: string, env: Record<string, string>, files: Record<number, string>) {
  const hearth = await spawnHearth(plcUrl, { env: { HEARTH_MAX_BLOB_BYTES: String(110 * MB), ...env } })
  const pid = hearth.child.pid!
  try {
    const handle = `bench${crypto.randomBytes(3).toString('hex')}.test`
    const created = await fetch(`${hearth.url}/xrpc/com.atproto.server.createAccount`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ handle, password: 'bench-password', email: `${handle}@example.com` }),
    })
    const { accessJwt, did } = (await created.json()) as { accessJwt: string; did: string }
    const upload = async (file: string) => {
      const res = await fetch(`${hearth.url}/xrpc/com.atproto.repo.uploadBlob`, {
        method: 'POST',
        headers: { authorization: `Bearer ${accessJwt}`, 'content-type': 'application/octet-stream', 'content-length': String(fs.statSync(file).size) },
        body: Readable.toWeb(fs.createReadStream(file)) as ReadableStream,
        duplex: 'half',
      } as RequestInit)
      if (!res.ok) throw new Error(`upload failed: ${res.status} ${await res.text()}`)
      return ((await res.json()) as { blob: { ref: { $link: string } } }).blob.ref.$link
    }
    const download = async (cid: string) => {
      const res = await fetch(`${hearth.url}/xrpc/com.atproto.sync.getBlob?did=${did}&cid=${cid}`)
      let n = 0
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) n += chunk.length
      return n
    }
    // Memory first, on a fresh server (warmed up by one 1 MB upload): what a 10 MB and a 50 MB upload add to it.
    fs.writeFileSync(files[1], crypto.randomBytes(MB))
    await upload(files[1])
    const memory: Record<string, number> = {}
    for (const size of [10, 50, 100]) {
      fs.writeFileSync(files[size], crypto.randomBytes(size * MB))
      const m = await peakDuring(pid, () => upload(files[size]))
      memory[`rssBefore${size}MBUploadMiB`] = round(m.beforeMiB)
      memory[`peakRssDuring${size}MBUploadMiB`] = round(m.peakMiB)
    }
    const rows: Record<string, unknown>[] = []
    for (const size of [1, 50]) {
      const runs = Number(values.runs ?? (size === 1 ? 5 : 2))
      const file = files[size]
      // Distinct bytes per run (a repeated upload of the same bytes is the same blob).
      let upMs = 0
      let downMs = 0
      for (let i = 0; i < runs; i++) {
        fs.writeFileSync(file, crypto.randomBytes(size * MB))
        let t = performance.now()
        const cid = await upload(file)
        upMs += performance.now() - t
        t = performance.now()
        await download(cid)
        downMs += performance.now() - t
      }
      rows.push({ store: name, blobMB: size, runs, uploadMBps: round((size * runs * 1000) / upMs), downloadMBps: round((size * runs * 1000) / downMs) })
    }
    memory.peakRssAtEndMiB = peakRssMiB(pid) ?? 0
    return { rows, memory: { store: name, ...memory } }
  } finally {
    hearth.child.kill('SIGTERM')
    await new Promise((r) => hearth.child.once('exit', r))
    fs.rmSync(hearth.dataDir, { recursive: true, force: true })
  }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-bench-blobs-'))
const files: Record<number, string> = { 1: path.join(tmp, '1mb'), 10: path.join(tmp, '10mb'), 50: path.join(tmp, '50mb'), 100: path.join(tmp, '100mb') }
const plc = await startEmbeddedPlc()
const ceph = await startCephRgw()
try {
  const bucket = await ceph.createBucket()
  const disk = await benchStore('data folder', plc.url, {}, files)
  const s3 = await benchStore('S3 (Ceph RGW, memstore)', plc.url, ceph.hearthEnv(bucket), files)
  console.table([...disk.rows, ...s3.rows])
  console.table([disk.memory, s3.memory])
} finally {
  await ceph.stop()
  await plc.close()
  fs.rmSync(tmp, { recursive: true, force: true })
}

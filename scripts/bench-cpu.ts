/**
 * Server CPU per request: starts Hearth as `npm start` runs it, then drives
 * getRecord (plain fetch, concurrency 16; `get-api`: through @atproto/api,
 * as `npm run bench` does) or sequential createRecord (@atproto/api) and
 * reads the server process's CPU time from /proc, so the figure holds even
 * when the machine is busy with other work. The client's own CPU per request
 * (this process) is printed beside it: what the client library costs.
 *
 *   npx tsx scripts/bench-cpu.ts get 20000
 *   npx tsx scripts/bench-cpu.ts get-api 20000
 *   npx tsx scripts/bench-cpu.ts create 1000
 *   HEARTH_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npx tsx scripts/bench-cpu.ts get   # with a profile
 *   HEARTH_BENCH_MAIN=/elsewhere/dist/src/main.js npx tsx scripts/bench-cpu.ts create   # another build (A/B)
 *   npx tsx scripts/bench-cpu.ts get-api 20000 --reference   # the reference PDS (scripts/reference-pds.mjs), same client
 *   npx tsx scripts/bench-cpu.ts create 1000 --null-server  # a server that does nothing: the client's own ceiling
 *
 * `--null-server` answers every call at once with a fixed createRecord or
 * getRecord answer, from a separate process (so its work is not counted as
 * the client's): what the same client reaches when the server costs nothing,
 * and so the most any server can be ahead of another on this machine.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { AtpAgent } from '@atproto/api'
import { startEmbeddedPlc } from '../src/identity/embedded-plc.js'
import { peakRssMiB, spawnHearth } from './bench-server.js'

const args = process.argv.slice(2)
const reference = args.includes('--reference')
const nullServer = args.includes('--null-server')
const [modeArg, countArg] = args.filter((a) => a !== '--reference' && a !== '--null-server')
const mode = modeArg === 'create' ? 'create' : modeArg === 'get-api' ? 'get-api' : 'get'
const count = Number(countArg ?? (mode === 'create' ? 1000 : 20000))
const collection = 'app.bsky.feed.post'
const post = (text: string) => ({ $type: collection, text, createdAt: new Date().toISOString() })

/** utime and stime of a process, in ms (Linux, 100 ticks/s): user code, and the kernel working for it (sockets, files). */
function cpuTimes(pid: number): { user: number; system: number } {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 }
}

// The null server: one fixed answer per verb, shaped as createRecord's and getRecord's.
const NULL_SERVER = `
const http = require('node:http')
const cid = 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm'
const uri = 'at://did:plc:abcdefghijklmnopqrstuvwx/app.bsky.feed.post/3lbcdefghij2k'
const created = JSON.stringify({ uri, cid, commit: { cid, rev: '3lbcdefghij2k' }, validationStatus: 'valid' })
const record = JSON.stringify({ uri, cid, value: { $type: 'app.bsky.feed.post', text: 'bench', createdAt: '2026-01-01T00:00:00.000Z' } })
http.createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    const body = req.method === 'POST' ? created : record
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  })
}).listen(0, '127.0.0.1', function () { console.log(JSON.stringify({ port: this.address().port })) })
`

/** The server under test: Hearth as `npm start` runs it, the reference PDS, or the null server. */
async function startServer(): Promise<{ pid: number; url: string; stop(): Promise<void> }> {
  if (nullServer) {
    const child = spawn(process.execPath, ['-e', NULL_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] })
    const line = await new Promise<string>((resolve) => readline.createInterface({ input: child.stdout! }).once('line', resolve))
    const { port } = JSON.parse(line) as { port: number }
    return { pid: child.pid!, url: `http://127.0.0.1:${port}`, stop: async () => void (child.kill('SIGTERM'), await new Promise((r) => child.once('exit', r))) }
  }
  if (reference) {
    const child = spawn(process.execPath, [path.join(path.dirname(fileURLToPath(import.meta.url)), 'reference-pds.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] })
    const line = await new Promise<string>((resolve) => readline.createInterface({ input: child.stdout! }).once('line', resolve))
    const { url, pid } = JSON.parse(line) as { url: string; pid: number }
    return { pid, url, stop: async () => void (child.kill('SIGTERM'), await new Promise((r) => child.once('exit', r))) }
  }
  const plc = await startEmbeddedPlc()
  const other = process.env.HEARTH_BENCH_MAIN
  const { child, url, dataDir } = await spawnHearth(plc.url, other ? { main: other, skipBuild: true } : {})
  return {
    pid: child.pid!,
    url,
    async stop() {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
      fs.rmSync(dataDir, { recursive: true, force: true })
      await plc.close()
    },
  }
}

const server = await startServer()
const url = server.url
try {
  const agent = new AtpAgent({ service: url })
  let did = 'did:plc:abcdefghijklmnopqrstuvwx'
  if (!nullServer) {
    const domain = (await agent.com.atproto.server.describeServer()).data.availableUserDomains[0]
    await agent.createAccount({ handle: `cpu${Date.now().toString(36)}${domain}`, password: 'bench-password-1', email: 'cpu@bench.invalid' })
    did = agent.session!.did
  }
  const rkeys: string[] = []
  for (let i = 0; i < 200; i++) {
    const res = await agent.com.atproto.repo.createRecord({ repo: did, collection, record: post(`warm ${i}`) })
    rkeys.push(res.data.uri.split('/').pop()!)
  }
  const cpu0 = cpuTimes(server.pid)
  const client0 = process.cpuUsage()
  const t0 = performance.now()
  if (mode === 'get-api') {
    const reader = new AtpAgent({ service: url })
    let next = 0
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < count) {
          const i = next++
          await reader.com.atproto.repo.getRecord({ repo: did, collection, rkey: rkeys[i % rkeys.length] })
        }
      }),
    )
  } else if (mode === 'get') {
    let next = 0
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < count) {
          const i = next++
          const res = await fetch(`${url}/xrpc/com.atproto.repo.getRecord?repo=${did}&collection=${collection}&rkey=${rkeys[i % rkeys.length]}`)
          await res.arrayBuffer()
        }
      }),
    )
  } else {
    for (let i = 0; i < count; i++) await agent.com.atproto.repo.createRecord({ repo: did, collection, record: post(`bench ${i}`) })
  }
  const secs = (performance.now() - t0) / 1000
  const cpu1 = cpuTimes(server.pid)
  const cpu = cpu1.user + cpu1.system - cpu0.user - cpu0.system
  const client = process.cpuUsage(client0)
  console.log(
    JSON.stringify({
      mode,
      server: nullServer ? 'null' : reference ? 'reference' : 'hearth',
      requests: count,
      perSec: Math.round(count / secs),
      serverCpuMsPerRequest: Number((cpu / count).toFixed(3)),
      serverKernelMsPerRequest: Number(((cpu1.system - cpu0.system) / count).toFixed(3)),
      clientCpuMsPerRequest: Number(((client.user + client.system) / 1000 / count).toFixed(3)),
      serverPeakRssMiB: peakRssMiB(server.pid),
    }),
  )
} finally {
  await server.stop()
}

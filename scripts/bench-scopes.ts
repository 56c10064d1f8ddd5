/**
 * `npx tsx scripts/bench-scopes.ts`: scope ingest throughput and scoped
 * firehose fan-out, against a Hearth it starts itself (compiled, as
 * `npm start` runs it, temp data folder, rate limits off) with a PLC
 * directory in this process. Prints one JSON summary.
 *
 *   npx tsx scripts/bench-scopes.ts [--subscribers 50] [--stream-commits 100] [--record-bytes 200]
 *
 * Ingest: records per second for batches of 1, 100 and 1000 objects, each
 * batch one commit, through dev.hearth.scope.ingest (the owner's token) and
 * through the control socket. Fan-out: N apps, each with its own did:plc
 * and a grant, follow dev.hearth.scope.subscribe while the owner ingests;
 * reported are frames delivered per second and the time from sending an
 * ingest request to each subscriber holding its commit.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import { WebSocket } from 'ws'
import * as plc from '@did-plc/lib'
import { Secp256k1Keypair } from '@atproto/crypto'
import { decodeAll } from '@atproto/lex-cbor'
import { startEmbeddedPlc } from '../src/identity/embedded-plc.js'
import { ControlClient } from '../src/control/control-client.js'
import { peakRssMiB, spawnHearth } from './bench-server.js'

interface Options {
  subscribers: number
  streamCommits: number
  recordBytes: number
}

function parseArgs(argv: string[]): Options {
  const o: Options = { subscribers: 50, streamCommits: 100, recordBytes: 200 }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const next = () => Number(argv[++i])
    if (a === '--subscribers') o.subscribers = next()
    else if (a === '--stream-commits') o.streamCommits = next()
    else if (a === '--record-bytes') o.recordBytes = next()
    else throw new Error(`unknown argument ${a}`)
  }
  return o
}

const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]

/** An object of about `bytes` bytes of JSON, like a connector's export row. */
function record(i: number, bytes: number) {
  const base = { i, kind: 'post', at: new Date().toISOString(), likes: i % 97, tags: ['bench', `t${i % 13}`] }
  const pad = Math.max(0, bytes - JSON.stringify(base).length - 12)
  return { ...base, text: 'x'.repeat(pad) }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const plcServer = await startEmbeddedPlc()
  const hearth = await spawnHearth(plcServer.url)
  try {
    const owner = await createOwner(hearth.url)
    const ingest = async (scope: string, data: unknown) => {
      const res = await fetch(`${hearth.url}/xrpc/dev.hearth.scope.ingest`, {
        method: 'POST',
        headers: { authorization: `Bearer ${owner.accessJwt}`, 'content-type': 'application/json' },
        body: JSON.stringify({ scope, data }),
      })
      if (!res.ok) throw new Error(`ingest: ${res.status} ${await res.text()}`)
      return res.json()
    }
    const control = new ControlClient(hearth.controlSocket)

    const ingestFigures: Record<string, unknown> = {}
    for (const [batch, calls] of [
      [1, 500],
      [100, 30],
      [1000, 10],
    ] as const) {
      let n = 0
      const xrpcScope = `bench.xrpc_${batch}`
      await ingest(xrpcScope, record(-1, opts.recordBytes)) // the scope's first commit, outside the timing
      let t = performance.now()
      for (let c = 0; c < calls; c++) await ingest(xrpcScope, Array.from({ length: batch }, () => record(n++, opts.recordBytes)))
      const xrpcSecs = (performance.now() - t) / 1000

      const controlScope = `bench.control_${batch}`
      await control.json('POST', '/ingest', { repo: owner.did, scope: controlScope, records: [record(-1, opts.recordBytes)] })
      t = performance.now()
      for (let c = 0; c < calls; c++) {
        await control.json('POST', '/ingest', { repo: owner.did, scope: controlScope, records: Array.from({ length: batch }, () => record(n++, opts.recordBytes)) })
      }
      const controlSecs = (performance.now() - t) / 1000
      ingestFigures[`batch${batch}`] = {
        commits: calls,
        records: calls * batch,
        xrpcRecordsPerSec: round((calls * batch) / xrpcSecs),
        xrpcCommitsPerSec: round(calls / xrpcSecs),
        controlRecordsPerSec: round((calls * batch) / controlSecs),
      }
    }

    const fanout = await benchFanout(hearth.url, plcServer.url, owner, ingest, opts)
    console.log(
      JSON.stringify(
        { recordBytes: opts.recordBytes, ingest: ingestFigures, scopedFirehose: fanout, serverPeakRssMiB: peakRssMiB(hearth.child.pid!) },
        null,
        2,
      ),
    )
  } finally {
    hearth.child.kill('SIGTERM')
    await new Promise((r) => hearth.child.once('exit', r))
    fs.rmSync(hearth.dataDir, { recursive: true, force: true })
    await plcServer.close()
  }
}

async function benchFanout(
  url: string,
  plcUrl: string,
  owner: { did: string; accessJwt: string },
  ingest: (scope: string, data: unknown) => Promise<unknown>,
  opts: Options,
) {
  const scope = 'bench.stream'
  await ingest(scope, { warmup: true })
  const aud = ((await (await fetch(`${url}/xrpc/com.atproto.server.describeServer`)).json()) as { did: string }).did
  const subscribers: { received: Map<string, number>; ws: WebSocket }[] = []
  for (let s = 0; s < opts.subscribers; s++) {
    const app = await registerApp(plcUrl, `bench${s}`)
    const res = await fetch(`${url}/xrpc/dev.hearth.grant.create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.accessJwt}`, 'content-type': 'application/json' },
      body: JSON.stringify({ grantee: app.did, scopes: [scope] }),
    })
    if (!res.ok) throw new Error(`grant: ${res.status} ${await res.text()}`)
    const token = await serviceJwt(app.keypair, app.did, aud, 'dev.hearth.scope.subscribe')
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/xrpc/dev.hearth.scope.subscribe?token=${token}`)
    const received = new Map<string, number>()
    ws.on('message', (data: Buffer) => {
      const [header, body] = [...decodeAll(new Uint8Array(data))] as [{ t?: string }, { rev?: string }]
      if (header.t === '#commit' && body.rev) received.set(body.rev, performance.now())
    })
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    subscribers.push({ received, ws })
  }
  // Let every subscription finish its token check and go live.
  await new Promise((r) => setTimeout(r, 500))

  // Each commit's clock starts when its ingest request is sent: subscribers often have it before the client reads the answer.
  const acked = new Map<string, number>()
  const t0 = performance.now()
  for (let c = 0; c < opts.streamCommits; c++) {
    const sentAt = performance.now()
    const out = (await ingest(scope, Array.from({ length: 10 }, (_, i) => record(c * 10 + i, opts.recordBytes)))) as { rev: string }
    acked.set(out.rev, sentAt)
  }
  const deadline = Date.now() + 60_000
  while (subscribers.some((s) => [...acked.keys()].some((rev) => !s.received.has(rev))) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20))
  }
  const secs = (performance.now() - t0) / 1000
  const delays: number[] = []
  let missing = 0
  for (const s of subscribers) {
    for (const [rev, at] of acked) {
      const got = s.received.get(rev)
      if (got === undefined) missing++
      else delays.push(got - at)
    }
    s.ws.close()
  }
  delays.sort((a, b) => a - b)
  return {
    subscribers: opts.subscribers,
    commits: opts.streamCommits,
    recordsPerCommit: 10,
    framesDelivered: delays.length,
    missing,
    framesPerSec: round(delays.length / secs),
    ingestToDeliveryMs: { p50: round(pct(delays, 50), 2), p99: round(pct(delays, 99), 2), max: round(delays[delays.length - 1] ?? 0, 2) },
  }
}

async function createOwner(url: string): Promise<{ did: string; accessJwt: string }> {
  const handle = `owner${Date.now().toString(36).slice(-6)}.test`
  const res = await fetch(`${url}/xrpc/com.atproto.server.createAccount`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ handle, password: 'bench-password-1', email: `${handle}@bench.invalid` }),
  })
  if (!res.ok) throw new Error(`createAccount: ${res.status} ${await res.text()}`)
  return (await res.json()) as { did: string; accessJwt: string }
}

/** An app's did:plc with its own secp256k1 key as the `atproto` verification method. */
async function registerApp(plcUrl: string, name: string) {
  const keypair = await Secp256k1Keypair.create()
  const { op, did } = await plc.createOp({ signingKey: keypair.did(), handle: `${name}.apps.test`, pds: 'https://apps.example', rotationKeys: [keypair.did()], signer: keypair as never })
  await new plc.Client(plcUrl).sendOperation(did, op)
  return { did, keypair }
}

async function serviceJwt(keypair: Secp256k1Keypair, iss: string, aud: string, lxm: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  const input = `${b64({ typ: 'JWT', alg: 'ES256K' })}.${b64({ iss, aud, lxm, iat: now, exp: now + 120, jti: crypto.randomBytes(16).toString('hex') })}`
  return `${input}.${Buffer.from(await keypair.sign(Buffer.from(input))).toString('base64url')}`
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})

/**
 * Firehose fan-out benchmark: N subscribers on subscribeRepos, M sequential
 * createRecord calls through @atproto/api, and for every (write, subscriber)
 * the time from the write's acknowledgement to the subscriber receiving its
 * #commit. Also checks that every subscriber got every event, in order,
 * once.
 *
 * @example
 * // alone, against a running server with open registration:
 * //   tsx scripts/bench-firehose.ts --url http://localhost:2583
 * const result = await benchFirehose('http://localhost:2583', { subscribers: 20, writes: 200 })
 */
import { pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'
import { WebSocket } from 'ws'
import { AtpAgent } from '@atproto/api'
import { decodeAll } from '@atproto/lex-cbor'

export interface FirehoseBenchOptions {
  subscribers?: number
  writes?: number
  /** Invite code, when the server's registration is by invite. */
  invite?: string
  /** How long to wait for the last events after the last write. */
  drainTimeoutMs?: number
}

export interface FirehoseBenchResult {
  subscribers: number
  writes: number
  /** From the write's acknowledgement to receipt; an event that came before its ack counts as 0. */
  ackToReceive: { p50ms: number; p99ms: number; maxMs: number }
  /** From sending the write to receipt. */
  writeToReceive: { p50ms: number; p99ms: number }
  /** Per write, from the first subscriber receiving its event to the last. */
  fanoutSpread: { p50ms: number; p99ms: number }
  /** Share of deliveries that arrived before the write's own HTTP response. */
  receivedBeforeAck: number
  writesPerSec: number
  /** Every subscriber got every write's event, with contiguous seqs and no duplicate. */
  allReceived: boolean
  missing: number
  duplicates: number
  gaps: number
}

interface Subscriber {
  ws: WebSocket
  /** rev → time received */
  received: Map<string, number>
  seqs: number[]
}

export async function benchFirehose(serviceUrl: string, opts: FirehoseBenchOptions = {}): Promise<FirehoseBenchResult> {
  const subscriberCount = opts.subscribers ?? 20
  const writeCount = opts.writes ?? 200
  const agent = new AtpAgent({ service: serviceUrl })
  const desc = await agent.com.atproto.server.describeServer()
  const domain = desc.data.availableUserDomains[0]
  const handle = `fh${Date.now().toString(36).slice(-8)}${domain}`
  await agent.createAccount({ handle, password: 'bench-password-1', email: `${handle}@bench.invalid`, inviteCode: opts.invite })
  const did = agent.session!.did

  const subs = await Promise.all(Array.from({ length: subscriberCount }, () => openSubscriber(serviceUrl, did)))
  try {
    const sent: { rev: string; start: number; ack: number }[] = []
    const t0 = performance.now()
    for (let i = 0; i < writeCount; i++) {
      const start = performance.now()
      const res = await agent.com.atproto.repo.createRecord({
        repo: did,
        collection: 'app.bsky.feed.post',
        record: { $type: 'app.bsky.feed.post', text: `firehose bench ${i}`, createdAt: new Date().toISOString() },
      })
      sent.push({ rev: res.data.commit!.rev, start, ack: performance.now() })
    }
    const writesPerSec = writeCount / ((performance.now() - t0) / 1000)

    const revs = new Set(sent.map((s) => s.rev))
    const deadline = Date.now() + (opts.drainTimeoutMs ?? 10_000)
    while (subs.some((s) => [...revs].some((r) => !s.received.has(r))) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20))
    }

    const ackLat: number[] = []
    const writeLat: number[] = []
    const spread: number[] = []
    let beforeAck = 0
    let missing = 0
    for (const w of sent) {
      const times = subs.map((s) => s.received.get(w.rev)).filter((t): t is number => t !== undefined)
      if (times.length) spread.push(Math.max(...times) - Math.min(...times))
    }
    for (const s of subs) {
      for (const w of sent) {
        const at = s.received.get(w.rev)
        if (at === undefined) {
          missing++
          continue
        }
        if (at < w.ack) beforeAck++
        ackLat.push(Math.max(0, at - w.ack))
        writeLat.push(at - w.start)
      }
    }
    let duplicates = 0
    let gaps = 0
    for (const s of subs) {
      for (let i = 1; i < s.seqs.length; i++) {
        if (s.seqs[i] <= s.seqs[i - 1]) duplicates++
        else if (s.seqs[i] !== s.seqs[i - 1] + 1) gaps++
      }
    }
    ackLat.sort((a, b) => a - b)
    writeLat.sort((a, b) => a - b)
    spread.sort((a, b) => a - b)
    return {
      subscribers: subscriberCount,
      writes: writeCount,
      ackToReceive: { p50ms: round(pct(ackLat, 50)), p99ms: round(pct(ackLat, 99)), maxMs: round(ackLat[ackLat.length - 1] ?? NaN) },
      writeToReceive: { p50ms: round(pct(writeLat, 50)), p99ms: round(pct(writeLat, 99)) },
      fanoutSpread: { p50ms: round(pct(spread, 50)), p99ms: round(pct(spread, 99)) },
      receivedBeforeAck: round(beforeAck / Math.max(1, ackLat.length), 3),
      writesPerSec: round(writesPerSec, 1),
      allReceived: missing === 0 && duplicates === 0 && gaps === 0,
      missing,
      duplicates,
      gaps,
    }
  } finally {
    for (const s of subs) s.ws.terminate()
  }
}

/** A subscriber that notes when each of `did`'s commits (by rev) arrives, and every seq it sees. */
async function openSubscriber(serviceUrl: string, did: string): Promise<Subscriber> {
  const url = `${serviceUrl.replace(/^http/, 'ws')}/xrpc/com.atproto.sync.subscribeRepos`
  const ws = new WebSocket(url, { perMessageDeflate: false })
  const sub: Subscriber = { ws, received: new Map(), seqs: [] }
  ws.on('message', (data: Buffer) => {
    const at = performance.now()
    const [header, body] = [...decodeAll(new Uint8Array(data))] as [{ op: number; t?: string }, Record<string, unknown>]
    if (header.op !== 1 || header.t === '#info') return
    sub.seqs.push(body.seq as number)
    if (header.t === '#commit' && body.repo === did) sub.received.set(body.rev as string, at)
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return sub
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d

function parseArgs(argv: string[]): { url: string } & FirehoseBenchOptions {
  const o: { url: string } & FirehoseBenchOptions = { url: 'http://localhost:2583' }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const next = () => argv[++i]
    if (a === '--url') o.url = next()
    else if (a === '--subscribers') o.subscribers = Number(next())
    else if (a === '--writes') o.writes = Number(next())
    else if (a === '--invite') o.invite = next()
    else throw new Error(`unknown argument ${a} (use --url, --subscribers, --writes, --invite)`)
  }
  return o
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url, ...opts } = parseArgs(process.argv.slice(2))
  benchFirehose(url, opts).then(
    (result) => {
      console.log(JSON.stringify(result, null, 2))
      process.exit(result.allReceived ? 0 : 1)
    },
    (err) => {
      console.error('bench-firehose failed:', err)
      process.exit(1)
    },
  )
}

/**
 * The getRecord phase of `npm run bench`: a fixed number of
 * com.atproto.repo.getRecord calls through @atproto/api at a fixed total
 * concurrency, from this process or spread over several worker processes.
 *
 * One Node process running @atproto/api spends more CPU per getRecord than a
 * lean server does answering it, so on a small machine a single client
 * measures itself. With `workers > 1` the same calls (same agent class, same
 * record keys in the same order, same total concurrency) come from that many
 * child processes; they warm up, start together on a signal, and their counts
 * and CPU are merged. The split is identical whatever server `url` names.
 * Any failed call fails the run, as a single client's would.
 *
 * Each run also reports the client's CPU per request (all load processes
 * together), which is what @atproto/api costs on the client side.
 *
 * @example
 * const r = await getRecordLoad({ url, did, collection, rkeys, requests: 4000, concurrency: 16, workers: 2 })
 * // → { requests, concurrency, workers, perSec, clientCpuMsPerRequest }
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { AtpAgent } from '@atproto/api'

export interface GetRecordLoad {
  url: string
  did: string
  collection: string
  rkeys: string[]
  requests: number
  concurrency: number
  workers: number
}

export interface GetRecordLoadResult {
  requests: number
  concurrency: number
  workers: number
  perSec: number
  /** CPU (user + system) of every load process over the timed part, per request. */
  clientCpuMsPerRequest: number
}

/** One worker's share: request indices [from, to) at `concurrency`. */
interface Share {
  url: string
  did: string
  collection: string
  rkeys: string[]
  from: number
  to: number
  concurrency: number
  warmup: number
}

type FromWorker = { kind: 'ready' } | { kind: 'done'; requests: number; cpuMs: number } | { kind: 'failed'; message: string }

/**
 * Calls each load process makes before the timed part, so its JIT is warm
 * (the same calls). @atproto/api and fetch take a couple of thousand calls
 * to settle: after 200, a 4,000-call run cost the client 0.99 ms of CPU per
 * call and a 20,000-call one 0.67 ms, and the server measured was the one
 * waiting. Both servers of a comparison get the same warm-up.
 */
const WARMUP = 2000

const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d
const cpuMsSince = (start: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(start)
  return (u.user + u.system) / 1000
}

/** Runs indices [from, to) of the request sequence with `concurrency` calls in flight on one agent. */
async function drive(agent: AtpAgent, s: Pick<Share, 'did' | 'collection' | 'rkeys' | 'from' | 'to' | 'concurrency'>): Promise<void> {
  let next = s.from
  await Promise.all(
    Array.from({ length: s.concurrency }, async () => {
      while (next < s.to) {
        const i = next++
        await agent.com.atproto.repo.getRecord({ repo: s.did, collection: s.collection, rkey: s.rkeys[i % s.rkeys.length] })
      }
    }),
  )
}

/** Splits `total` into `parts` near-equal integers, larger ones first. */
export function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0))
}

export async function getRecordLoad(o: GetRecordLoad): Promise<GetRecordLoadResult> {
  const workers = Math.max(1, Math.min(o.workers, o.concurrency))
  if (workers === 1) {
    const agent = new AtpAgent({ service: o.url })
    await drive(agent, { ...o, from: 0, to: Math.min(WARMUP, o.requests) })
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    await drive(agent, { ...o, from: 0, to: o.requests })
    const secs = (performance.now() - t0) / 1000
    return result(o, 1, secs, cpuMsSince(cpu0))
  }
  const concurrencies = split(o.concurrency, workers)
  const counts = split(o.requests, workers)
  let from = 0
  const shares: Share[] = concurrencies.map((concurrency, w) => {
    const share = { url: o.url, did: o.did, collection: o.collection, rkeys: o.rkeys, from, to: from + counts[w], concurrency, warmup: Math.min(WARMUP, counts[w]) }
    from += counts[w]
    return share
  })
  // Under tsx the worker loads the same way as this process (its execArgv); elsewhere (a test runner) through tsx's loader.
  const execArgv = process.execArgv.some((a) => a.includes('tsx')) ? process.execArgv : ['--import', 'tsx']
  const children = shares.map(() => fork(fileURLToPath(import.meta.url), ['--get-load-worker'], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
  const next = (i: number) =>
    new Promise<FromWorker>((resolve, reject) => {
      const child = children[i]
      const onExit = (code: number | null) => reject(new Error(`load worker ${i} exited (${code}) before answering`))
      child.once('exit', onExit)
      child.once('message', (m) => {
        child.off('exit', onExit)
        const msg = m as FromWorker
        if (msg.kind === 'failed') reject(new Error(`load worker ${i}: ${msg.message}`))
        else resolve(msg)
      })
    })
  try {
    const ready = children.map((_, i) => next(i))
    children.forEach((child, i) => child.send(shares[i]))
    await Promise.all(ready)
    const done = children.map((_, i) => next(i))
    const t0 = performance.now()
    for (const child of children) child.send('go')
    const results = (await Promise.all(done)) as Extract<FromWorker, { kind: 'done' }>[]
    const secs = (performance.now() - t0) / 1000
    const cpuMs = results.reduce((sum, r) => sum + r.cpuMs, 0)
    return result(o, workers, secs, cpuMs)
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill()
  }
}

function result(o: GetRecordLoad, workers: number, secs: number, cpuMs: number): GetRecordLoadResult {
  return {
    requests: o.requests,
    concurrency: o.concurrency,
    workers,
    perSec: round(o.requests / secs),
    clientCpuMsPerRequest: round(cpuMs / o.requests, 3),
  }
}

/** A forked worker: take a share, warm up, say ready, run on 'go', report, exit. */
async function worker(): Promise<void> {
  const send = (m: FromWorker) => new Promise<void>((r) => process.send!(m, () => r()))
  const share = await new Promise<Share>((r) => process.once('message', (m) => r(m as Share)))
  try {
    const agent = new AtpAgent({ service: share.url })
    // Warm the JIT on the same calls, so the timed part measures a running client, as in-process.
    await drive(agent, { ...share, from: 0, to: share.warmup })
    const go = new Promise<void>((r) => process.once('message', () => r()))
    await send({ kind: 'ready' })
    await go
    const cpu0 = process.cpuUsage()
    await drive(agent, share)
    await send({ kind: 'done', requests: share.to - share.from, cpuMs: cpuMsSince(cpu0) })
  } catch (err) {
    await send({ kind: 'failed', message: (err as Error).message })
  }
  process.disconnect()
}

if (process.argv.includes('--get-load-worker') && process.send) void worker()

/** Small measuring tools shared by the scale series. */
import fs from 'node:fs'
import { AtpAgent } from '@atproto/api'

export const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d
export const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN

/** p50/p99 in ms of a list of latencies. */
export function percentiles(values: number[]): { p50ms: number; p99ms: number } {
  const sorted = [...values].sort((a, b) => a - b)
  return { p50ms: round(pct(sorted, 50), 2), p99ms: round(pct(sorted, 99), 2) }
}

function statusField(pid: number, field: string): number | null {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? round(Number(m[1]) / 1024) : null
  } catch {
    return null
  }
}

/**
 * CPU time a process has used so far (user + system), ms. On a machine
 * shared with other work, wall-clock latency says as much about the
 * neighbours as about the server; the server's own CPU per operation does
 * not depend on them.
 */
export function cpuMs(pid: number | undefined): number | null {
  if (!pid) return null
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th, in clock ticks (100/s on Linux).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return null
  }
}

/** Server CPU ms per operation between two cpuMs readings (null when the server is not on this machine). */
export const cpuPer = (before: number | null, after: number | null, count: number) => (before === null || after === null ? null : round((after - before) / count, 2))

/** Resident memory now, MiB. */
export const rssMiB = (pid: number) => statusField(pid, 'VmRSS')

/** Samples a process's RSS every `everyMs` until stopped; gives the highest seen. */
export function rssSampler(pid: number, everyMs = 20): { stop(): number } {
  let peak = rssMiB(pid) ?? 0
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMiB(pid) ?? 0)
  }, everyMs)
  return {
    stop() {
      clearInterval(timer)
      return Math.max(peak, rssMiB(pid) ?? 0)
    },
  }
}

export const post = (text: string) => ({ $type: 'app.bsky.feed.post', text, createdAt: new Date().toISOString() })

/** An account made over XRPC (open registration), logged in. */
export async function xrpcAccount(url: string, name: string): Promise<{ did: string; agent: AtpAgent }> {
  const agent = new AtpAgent({ service: url })
  const handle = `${name}${Date.now().toString(36).slice(-5)}.test`
  await agent.createAccount({ handle, password: 'bench-password-1', email: `${handle}@bench.invalid` })
  return { did: agent.session!.did, agent }
}

/** getRecord at concurrency 16 over the given record URIs (plain fetch, as a relay or AppView would). */
export async function timedGetRecords(url: string, uris: string[], count: number, pid?: number): Promise<{ perSec: number; p50ms: number; p99ms: number; serverCpuMs: number | null }> {
  const lat: number[] = []
  const cpu0 = cpuMs(pid)
  let next = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) {
        const [did, collection, rkey] = uris[next++ % uris.length].slice(5).split('/')
        const s = performance.now()
        const res = await fetch(`${url}/xrpc/com.atproto.repo.getRecord?repo=${did}&collection=${collection}&rkey=${rkey}`)
        if (!res.ok) throw new Error(`getRecord ${res.status}: ${await res.text()}`)
        await res.arrayBuffer()
        lat.push(performance.now() - s)
      }
    }),
  )
  return { perSec: round(count / ((performance.now() - t0) / 1000)), ...percentiles(lat), serverCpuMs: cpuPer(cpu0, cpuMs(pid), count) }
}

/** Sequential createRecord through @atproto/api, spread over the agents given. */
export async function timedCreates(
  writers: { did: string; agent: AtpAgent }[],
  count: number,
  pid?: number,
): Promise<{ perSec: number; p50ms: number; p99ms: number; serverCpuMs: number | null; uris: string[] }> {
  const lat: number[] = []
  const cpu0 = cpuMs(pid)
  const uris: string[] = []
  const t0 = performance.now()
  for (let i = 0; i < count; i++) {
    const w = writers[i % writers.length]
    const s = performance.now()
    const res = await w.agent.com.atproto.repo.createRecord({ repo: w.did, collection: 'app.bsky.feed.post', record: post(`scale ${i}`) })
    lat.push(performance.now() - s)
    uris.push(res.data.uri)
  }
  return { perSec: round(count / ((performance.now() - t0) / 1000)), ...percentiles(lat), serverCpuMs: cpuPer(cpu0, cpuMs(pid), count), uris }
}

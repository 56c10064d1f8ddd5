/**
 * Cost as firehose subscribers grow: 10 → 1,000 WebSockets on
 * subscribeRepos (loopback, in this process), 200 sequential writes, and
 * for every (write, subscriber) the time from the write being sent to the
 * subscriber holding its frame. Subscribers only timestamp frames (the n-th
 * frame is the n-th write), so the client's own decoding does not pile up
 * into the figures. RSS per subscriber: the server's rise with the sockets
 * open, divided by their number.
 */
import { WebSocket } from 'ws'
import { cpuMs, cpuPer, percentiles, post, rssMiB, round, xrpcAccount } from './measure.js'
import type { Target } from './target.js'

/** What a Hearth target needs for this series: each of 1,000 subscribers may hold a backlog of 200 frames. */
export const SUBSCRIBERS_HEARTH_ENV = { HEARTH_FIREHOSE_MAX_BUFFER_BYTES: String(64 * 2 ** 20) }

export async function subscribersSeries(target: Target, sizes: number[], writes = 200) {
  const rows = []
  const rss = () => (target.pid ? (rssMiB(target.pid) ?? 0) : 0)
  try {
    const owner = await xrpcAccount(target.url, 'fh')
    for (const n of sizes) {
      const before = rss()
      const arrivals: number[][] = []
      const sockets: WebSocket[] = []
      for (let i = 0; i < n; i++) {
        const times: number[] = []
        const ws = new WebSocket(`${target.url.replace(/^http/, 'ws')}/xrpc/com.atproto.sync.subscribeRepos`)
        ws.on('message', () => times.push(performance.now()))
        await new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve())
          ws.once('error', reject)
        })
        arrivals.push(times)
        sockets.push(ws)
      }
      await new Promise((r) => setTimeout(r, 300))
      const withSockets = rss()
      const starts: number[] = []
      const cpu0 = cpuMs(target.pid)
      for (let i = 0; i < writes; i++) {
        starts.push(performance.now())
        await owner.agent.com.atproto.repo.createRecord({ repo: owner.did, collection: 'app.bsky.feed.post', record: post(`fh ${i}`) })
      }
      const deadline = Date.now() + 60_000
      while (arrivals.some((a) => a.length < writes) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      // The writes and every frame sent: what the fan-out costs the server per write.
      const serverCpuMsPerWrite = cpuPer(cpu0, cpuMs(target.pid), writes)
      const lat: number[] = []
      let missing = 0
      for (const times of arrivals) {
        missing += Math.max(0, writes - times.length)
        for (let k = 0; k < Math.min(writes, times.length); k++) lat.push(times[k] - starts[k])
      }
      const peak = rss()
      for (const ws of sockets) ws.close()
      await new Promise((r) => setTimeout(r, 500))
      rows.push({ subscribers: n, writes, delivery: percentiles(lat), serverCpuMsPerWrite, missing, rssPerSubscriberKiB: target.pid ? round(((Math.max(withSockets, peak) - before) * 1024) / n) : null, rssMiB: target.pid ? peak : null })
      console.error(`subscribers ${n} (${target.kind}): ${JSON.stringify(rows[rows.length - 1])}`)
    }
  } finally {
    await target.stop()
  }
  return rows
}

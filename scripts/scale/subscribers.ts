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
import { spawnHearth } from '../bench-server.js'
import { stop } from './accounts.js'
import { percentiles, post, rssMiB, round, xrpcAccount } from './measure.js'

export async function subscribersSeries(plcUrl: string, sizes: number[], writes = 200) {
  const hearth = await spawnHearth(plcUrl, { skipBuild: true, env: { HEARTH_FIREHOSE_MAX_BUFFER_BYTES: String(64 * 2 ** 20) } })
  const rows = []
  try {
    const owner = await xrpcAccount(hearth.url, 'fh')
    for (const n of sizes) {
      const before = rssMiB(hearth.child.pid!) ?? 0
      const arrivals: number[][] = []
      const sockets: WebSocket[] = []
      for (let i = 0; i < n; i++) {
        const times: number[] = []
        const ws = new WebSocket(`${hearth.url.replace(/^http/, 'ws')}/xrpc/com.atproto.sync.subscribeRepos`)
        ws.on('message', () => times.push(performance.now()))
        await new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve())
          ws.once('error', reject)
        })
        arrivals.push(times)
        sockets.push(ws)
      }
      await new Promise((r) => setTimeout(r, 300))
      const withSockets = rssMiB(hearth.child.pid!) ?? 0
      const starts: number[] = []
      for (let i = 0; i < writes; i++) {
        starts.push(performance.now())
        await owner.agent.com.atproto.repo.createRecord({ repo: owner.did, collection: 'app.bsky.feed.post', record: post(`fh ${i}`) })
      }
      const deadline = Date.now() + 60_000
      while (arrivals.some((a) => a.length < writes) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      const lat: number[] = []
      let missing = 0
      for (const times of arrivals) {
        missing += Math.max(0, writes - times.length)
        for (let k = 0; k < Math.min(writes, times.length); k++) lat.push(times[k] - starts[k])
      }
      const peak = rssMiB(hearth.child.pid!) ?? 0
      for (const ws of sockets) ws.close()
      await new Promise((r) => setTimeout(r, 500))
      rows.push({ subscribers: n, writes, delivery: percentiles(lat), missing, rssPerSubscriberKiB: round(((Math.max(withSockets, peak) - before) * 1024) / n), rssMiB: peak })
      console.error(`subscribers ${n}: ${JSON.stringify(rows[rows.length - 1])}`)
    }
  } finally {
    await stop(hearth)
  }
  return rows
}

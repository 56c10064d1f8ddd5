/**
 * Scope ingest at volume: records through the control socket in batches of
 * 1,000 into one scope, with records/s and database bytes per record at each
 * cumulative size; then the same ingest while N apps (own did:plc, a grant
 * each) follow the scoped stream, with the time from sending a batch to each
 * app holding its commit.
 */
import fs from 'node:fs'
import path from 'node:path'
import { WebSocket } from 'ws'
import { ControlClient } from '../../src/control/control-client.js'
import { spawnHearth } from '../bench-server.js'
import { stop } from './accounts.js'
import { registerApp, serviceJwt } from './apps.js'
import { cpuMs, percentiles, rssMiB, xrpcAccount } from './measure.js'

const BATCH = 1000
const row = (i: number) => ({ i, kind: 'post', at: new Date().toISOString(), likes: i % 97, text: `scope record ${i} `.padEnd(120, '.') })

export async function scopeIngestSeries(plcUrl: string, sizes: number[], opts: { apps: number; followedRecords: number }) {
  const hearth = await spawnHearth(plcUrl, { skipBuild: true })
  const control = new ControlClient(hearth.controlSocket)
  const rows: unknown[] = []
  let followed: unknown = null
  try {
    const owner = await xrpcAccount(hearth.url, 'scoper')
    const db = path.join(hearth.dataDir, 'hearth.sqlite')
    let total = 0
    for (const size of sizes) {
      const t0 = performance.now()
      const cpu0 = cpuMs(hearth.child.pid)
      const startTotal = total
      while (total < size) {
        await control.json('POST', '/ingest', { repo: owner.did, scope: 'bench.volume', records: Array.from({ length: BATCH }, () => row(total++)) })
      }
      const secs = (performance.now() - t0) / 1000
      const bytes = fs.statSync(db).size + (fs.existsSync(`${db}-wal`) ? fs.statSync(`${db}-wal`).size : 0)
      const cpuSecs = ((cpuMs(hearth.child.pid) ?? 0) - (cpu0 ?? 0)) / 1000
      rows.push({ records: total, recordsPerSec: Math.round((total - startTotal) / secs), recordsPerServerCpuSecond: cpuSecs > 0 ? Math.round((total - startTotal) / cpuSecs) : null, databaseBytesPerRecord: Math.round(bytes / total), rssMiB: rssMiB(hearth.child.pid!) })
      console.error(`scope ${size}: ${JSON.stringify(rows[rows.length - 1])}`)
    }

    // Followed by apps.
    const scope = 'bench.followed'
    await control.json('POST', '/ingest', { repo: owner.did, scope, records: [row(-1)] })
    const aud = ((await (await fetch(`${hearth.url}/xrpc/com.atproto.server.describeServer`)).json()) as { did: string }).did
    const arrivals: number[][] = []
    const sockets: WebSocket[] = []
    for (let a = 0; a < opts.apps; a++) {
      const app = await registerApp(plcUrl, `scale${a}`)
      const res = await fetch(`${hearth.url}/xrpc/dev.hearth.grant.create`, {
        method: 'POST',
        headers: { authorization: `Bearer ${owner.agent.session!.accessJwt}`, 'content-type': 'application/json' },
        body: JSON.stringify({ grantee: app.did, scopes: [scope] }),
      })
      if (!res.ok) throw new Error(`grant: ${res.status} ${await res.text()}`)
      const token = await serviceJwt(app.keypair, app.did, aud, 'dev.hearth.scope.subscribe')
      const times: number[] = []
      const ws = new WebSocket(`${hearth.url.replace(/^http/, 'ws')}/xrpc/dev.hearth.scope.subscribe?token=${token}`)
      ws.on('message', () => times.push(performance.now()))
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve())
        ws.once('error', reject)
      })
      arrivals.push(times)
      sockets.push(ws)
    }
    await new Promise((r) => setTimeout(r, 500))
    const starts: number[] = []
    const t0 = performance.now()
    const cpu0 = cpuMs(hearth.child.pid)
    for (let sent = 0; sent < opts.followedRecords; sent += BATCH) {
      starts.push(performance.now())
      await control.json('POST', '/ingest', { repo: owner.did, scope, records: Array.from({ length: BATCH }, (_, i) => row(sent + i)) })
    }
    const secs = (performance.now() - t0) / 1000
    const deadline = Date.now() + 120_000
    const cpuSecs = ((cpuMs(hearth.child.pid) ?? 0) - (cpu0 ?? 0)) / 1000
    while (arrivals.some((a) => a.length < starts.length) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    const lat: number[] = []
    let missing = 0
    for (const times of arrivals) {
      missing += Math.max(0, starts.length - times.length)
      for (let k = 0; k < Math.min(starts.length, times.length); k++) lat.push(times[k] - starts[k])
    }
    for (const ws of sockets) ws.close()
    followed = { apps: opts.apps, records: opts.followedRecords, recordsPerSec: Math.round(opts.followedRecords / secs), recordsPerServerCpuSecond: cpuSecs > 0 ? Math.round(opts.followedRecords / cpuSecs) : null, commitDelivery: percentiles(lat), missing, rssMiB: rssMiB(hearth.child.pid!) }
    console.error(`scope followed: ${JSON.stringify(followed)}`)
  } finally {
    await stop(hearth)
  }
  return { ingest: rows, followed }
}

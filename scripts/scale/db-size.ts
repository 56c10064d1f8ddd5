/**
 * Cold start of a big database: fill one server's database to the target
 * size (scope records of ~8 KB through the control socket, 250 a commit),
 * stop it, drop the OS page cache when allowed (root), start it again on the
 * same folder and time `_health` and the first accepted createRecord.
 */
import fs from 'node:fs'
import path from 'node:path'
import { ControlClient } from '../../src/control/control-client.js'
import { spawnHearth } from '../bench-server.js'
import { stop } from './accounts.js'
import { post, round, xrpcAccount } from './measure.js'

const dbBytes = (dir: string) =>
  ['hearth.sqlite', 'hearth.sqlite-wal'].reduce((n, f) => n + (fs.existsSync(path.join(dir, f)) ? fs.statSync(path.join(dir, f)).size : 0), 0)

export async function dbSizeSeries(plcUrl: string, targetsMiB: number[]) {
  const first = await spawnHearth(plcUrl, { skipBuild: true })
  const { dataDir, port } = first
  let hearth = first
  const rows = []
  try {
    const owner = await xrpcAccount(first.url, 'cold')
    const filler = 'x'.repeat(8000)
    let n = 0
    for (const target of targetsMiB) {
      const control = new ControlClient(hearth.controlSocket)
      const t0 = performance.now()
      while (dbBytes(dataDir) < target * 2 ** 20) {
        await control.json('POST', '/ingest', { repo: owner.did, scope: 'bench.filler', records: Array.from({ length: 250 }, () => ({ n: n++, filler })) })
      }
      const fillSecs = (performance.now() - t0) / 1000
      await stop(hearth, false)
      const size = dbBytes(dataDir)
      let cacheDropped = false
      try {
        fs.writeFileSync('/proc/sys/vm/drop_caches', '3')
        cacheDropped = true
      } catch {
        // not root, or not Linux: a warm page cache makes the start look faster
      }
      const t1 = performance.now()
      hearth = await spawnHearth(plcUrl, { skipBuild: true, dataDir, port })
      const healthMs = performance.now() - t1
      let writeMs = NaN
      for (;;) {
        try {
          await owner.agent.com.atproto.repo.createRecord({ repo: owner.did, collection: 'app.bsky.feed.post', record: post('after restart') })
          writeMs = performance.now() - t1
          break
        } catch (err) {
          if (performance.now() - t1 > 60_000) throw err
          await new Promise((r) => setTimeout(r, 10))
        }
      }
      rows.push({ databaseMiB: round(size / 2 ** 20), scopeRecords: n, toHealthMs: Math.round(healthMs), toFirstWriteMs: Math.round(writeMs), pageCacheDropped: cacheDropped, secondsToFill: Math.round(fillSecs) })
      console.error(`db ${target} MiB: ${JSON.stringify(rows[rows.length - 1])}`)
    }
  } finally {
    await stop(hearth)
  }
  return rows
}

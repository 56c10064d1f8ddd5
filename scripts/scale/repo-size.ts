/**
 * Cost as one repository grows: 1k → 100k records. At each size, 200
 * sequential createRecords (p50/p99), a whole getRepo (time, and how far the
 * server's RSS rises while it streams) and listRecords through every record.
 */
import { spawnHearth } from '../bench-server.js'
import { stop } from './accounts.js'
import { post, rssMiB, rssSampler, round, timedCreates, xrpcAccount } from './measure.js'

export async function repoSizeSeries(plcUrl: string, sizes: number[]) {
  const hearth = await spawnHearth(plcUrl, { skipBuild: true })
  const rows = []
  try {
    const owner = await xrpcAccount(hearth.url, 'big')
    let total = 0
    for (const size of sizes) {
      while (total < size) {
        const n = Math.min(200, size - total)
        await owner.agent.com.atproto.repo.applyWrites({
          repo: owner.did,
          writes: Array.from({ length: n }, (_, i) => ({ $type: 'com.atproto.repo.applyWrites#create' as const, collection: 'app.bsky.feed.post', value: post(`grow ${total + i}`) })),
        })
        total += n
      }
      const { uris: _u, ...creates } = await timedCreates([owner], 200)
      total += 200

      const before = rssMiB(hearth.child.pid!) ?? 0
      const sampler = rssSampler(hearth.child.pid!)
      const t0 = performance.now()
      const res = await fetch(`${hearth.url}/xrpc/com.atproto.sync.getRepo?did=${owner.did}`)
      let carBytes = 0
      for await (const chunk of res.body!) carBytes += (chunk as Uint8Array).length
      const getRepoMs = performance.now() - t0
      const peak = sampler.stop()

      let listed = 0
      let cursor: string | undefined
      const t1 = performance.now()
      do {
        const page = await fetch(`${hearth.url}/xrpc/com.atproto.repo.listRecords?repo=${owner.did}&collection=app.bsky.feed.post&limit=100${cursor ? `&cursor=${cursor}` : ''}`)
        const body = (await page.json()) as { records: unknown[]; cursor?: string }
        listed += body.records.length
        cursor = body.cursor
      } while (cursor)
      const listSecs = (performance.now() - t1) / 1000

      rows.push({
        records: total,
        createRecord: creates,
        getRepo: { ms: Math.round(getRepoMs), carMiB: round(carBytes / 2 ** 20), rssRiseMiB: round(peak - before) },
        listRecords: { records: listed, recordsPerSec: Math.round(listed / listSecs) },
        rssMiB: rssMiB(hearth.child.pid!),
      })
      console.error(`repo ${size}: ${JSON.stringify(rows[rows.length - 1])}`)
    }
  } finally {
    await stop(hearth)
  }
  return rows
}

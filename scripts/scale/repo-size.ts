/**
 * Cost as one repository grows: 1k → 100k records. At each size, 200
 * sequential createRecords (p50/p99), a whole getRepo (time, and how far the
 * server's RSS rises while it streams) and listRecords through every record.
 */
import { post, rssMiB, rssSampler, round, timedCreates, xrpcAccount } from './measure.js'
import type { Target } from './target.js'

export async function repoSizeSeries(target: Target, sizes: number[], creates = 200) {
  const rows = []
  const pid = target.pid
  try {
    const owner = await xrpcAccount(target.url, 'big')
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
      const { uris: _u, ...created } = await timedCreates([owner], creates, pid)
      total += creates

      const before = pid ? (rssMiB(pid) ?? 0) : 0
      const sampler = pid ? rssSampler(pid) : null
      const t0 = performance.now()
      const res = await fetch(`${target.url}/xrpc/com.atproto.sync.getRepo?did=${owner.did}`)
      let carBytes = 0
      for await (const chunk of res.body!) carBytes += (chunk as Uint8Array).length
      const getRepoMs = performance.now() - t0
      const peak = sampler?.stop() ?? 0

      let listed = 0
      let cursor: string | undefined
      const t1 = performance.now()
      do {
        const page = await fetch(`${target.url}/xrpc/com.atproto.repo.listRecords?repo=${owner.did}&collection=app.bsky.feed.post&limit=100${cursor ? `&cursor=${cursor}` : ''}`)
        const body = (await page.json()) as { records: unknown[]; cursor?: string }
        listed += body.records.length
        cursor = body.cursor
      } while (cursor)
      const listSecs = (performance.now() - t1) / 1000

      rows.push({
        records: total,
        createRecord: created,
        getRepo: { ms: Math.round(getRepoMs), carMiB: round(carBytes / 2 ** 20), rssRiseMiB: pid ? round(peak - before) : null },
        listRecords: { records: listed, recordsPerSec: Math.round(listed / listSecs) },
        rssMiB: pid ? rssMiB(pid) : null,
      })
      console.error(`repo ${size} (${target.kind}): ${JSON.stringify(rows[rows.length - 1])}`)
    }
  } finally {
    await target.stop()
  }
  return rows
}

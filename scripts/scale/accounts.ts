/**
 * Cost as accounts grow: 1 → 10,000 accounts on one server (made through
 * the control socket, each with one public record), and at each size
 * createRecord and getRecord latency and the server's RSS. Writes go to
 * the accounts made over XRPC (up to 20, the ones with sessions); reads are
 * spread over every account's record. On a server without Hearth's
 * control socket (the reference PDS), every account is made with
 * createAccount and its record with createRecord.
 */
import { ControlClient } from '../../src/control/control-client.js'
import type { spawnHearth } from '../bench-server.js'
import { post, rssMiB, timedCreates, timedGetRecords, xrpcAccount } from './measure.js'
import type { Target } from './target.js'

const WRITERS = 20

export async function accountsSeries(target: Target, sizes: number[]) {
  const control = target.controlSocket ? new ControlClient(target.controlSocket) : null
  const stamp = Date.now().toString(36).slice(-5)
  const writers: Awaited<ReturnType<typeof xrpcAccount>>[] = []
  const uris: string[] = []
  const rows = []
  try {
    let made = 0
    for (const size of sizes) {
      const t0 = performance.now()
      while (made < size) {
        if (writers.length < WRITERS) {
          const w = await xrpcAccount(target.url, `w${made}x`)
          writers.push(w)
          const res = await w.agent.com.atproto.repo.createRecord({ repo: w.did, collection: 'app.bsky.feed.post', record: post('first') })
          uris.push(res.data.uri)
          made++
          continue
        }
        // Four at a time: account creation waits on the PLC directory.
        const batch = Math.min(4, size - made)
        await Promise.all(
          Array.from({ length: batch }, async (_, i) => {
            if (control) {
              const account = await control.json('POST', '/accounts', { handle: `f${made + i}-${stamp}.test` })
              const out = await control.json('POST', '/ingest', { repo: account.did, collection: 'app.bsky.feed.post', records: [post('filler')] })
              uris.push(out.results[0].uri)
            } else {
              const a = await xrpcAccount(target.url, `f${made + i}x`)
              uris.push((await a.agent.com.atproto.repo.createRecord({ repo: a.did, collection: 'app.bsky.feed.post', record: post('filler') })).data.uri)
            }
          }),
        )
        made += batch
      }
      const fillSecs = (performance.now() - t0) / 1000
      const creates = await timedCreates(writers.slice(0, Math.min(WRITERS, size)), 300, target.pid)
      const shuffled = [...uris].sort(() => Math.random() - 0.5)
      const reads = await timedGetRecords(target.url, shuffled, 4000, target.pid)
      const { uris: _u, ...createFigures } = creates
      rows.push({ accounts: size, createRecord: createFigures, getRecord: reads, rssMiB: target.pid ? rssMiB(target.pid) : null, secondsToCreateAccounts: Math.round(fillSecs) })
      console.error(`accounts ${size} (${target.kind}): ${JSON.stringify(rows[rows.length - 1])}`)
    }
  } finally {
    await target.stop()
  }
  return rows
}

export async function stop(hearth: Awaited<ReturnType<typeof spawnHearth>>, removeData = true) {
  const { default: fs } = await import('node:fs')
  hearth.child.kill('SIGTERM')
  await new Promise((r) => hearth.child.once('exit', r))
  if (removeData) fs.rmSync(hearth.dataDir, { recursive: true, force: true })
}

/**
 * `npx tsx scripts/bench-scope-life.ts`: the life of scope data, against a
 * Hearth it starts itself (compiled, as `npm start` runs it, temp data
 * folder, rate limits off) with a PLC directory in this process. Prints one
 * JSON summary.
 *
 *   npx tsx scripts/bench-scope-life.ts [--records 10000] [--changed 0.1] [--apps 50] [--stream-commits 50]
 *
 * Keyed re-ingest: a connector ingests N keyed records, then re-syncs all N
 * where a fraction changed (one dev.hearth.scope.ingest call of N items):
 * seconds, commits made, update ops. Then once more with nothing changed.
 * Follow: A apps, each with its own did:plc, a grant and hearth/client's
 * follow() (every commit verified against the owner's key), while the owner
 * ingests; reported: verified records delivered per second over all apps,
 * and the time until every app held every record.
 */
import { IdResolver, MemoryCache } from '@atproto/identity'
import { startEmbeddedPlc } from '../src/identity/embedded-plc.js'
import { HearthAppClient, devIdentity, type Follow } from '../src/client/index.js'
import { peakRssMiB, spawnHearth } from './bench-server.js'

function parseArgs(argv: string[]) {
  const o = { records: 10_000, changed: 0.1, apps: 50, streamCommits: 50 }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const next = () => Number(argv[++i])
    if (a === '--records') o.records = next()
    else if (a === '--changed') o.changed = next()
    else if (a === '--apps') o.apps = next()
    else if (a === '--stream-commits') o.streamCommits = next()
    else throw new Error(`unknown argument ${a}`)
  }
  return o
}

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const plcServer = await startEmbeddedPlc()
  const hearth = await spawnHearth(plcServer.url)
  try {
    const handle = `owner${Date.now().toString(36).slice(-6)}.test`
    const created = await fetch(`${hearth.url}/xrpc/com.atproto.server.createAccount`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ handle, password: 'bench-password-1', email: `${handle}@bench.invalid` }),
    })
    if (!created.ok) throw new Error(`createAccount: ${created.status} ${await created.text()}`)
    const owner = (await created.json()) as { did: string; accessJwt: string }
    const call = async (nsid: string, body: unknown) => {
      const res = await fetch(`${hearth.url}/xrpc/${nsid}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${owner.accessJwt}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      if (!res.ok) throw new Error(`${nsid}: ${res.status} ${await res.text()}`)
      return res.json() as Promise<any>
    }

    // Keyed re-ingest.
    const scope = 'bench.profiles'
    const item = (i: number, version: number) => ({ key: `person-${i}`, data: { name: `Person ${i}`, headline: `headline v${version}`, connections: i % 500 } })
    const all = (version: (i: number) => number) => Array.from({ length: opts.records }, (_, i) => item(i, version(i)))
    let t = performance.now()
    const first = await call('dev.hearth.scope.ingest', { scope, items: all(() => 1) })
    const firstSec = (performance.now() - t) / 1000
    const every = Math.round(1 / opts.changed)
    t = performance.now()
    const resync = await call('dev.hearth.scope.ingest', { scope, items: all((i) => (i % every === 0 ? 2 : 1)) })
    const resyncSec = (performance.now() - t) / 1000
    t = performance.now()
    const unchanged = await call('dev.hearth.scope.ingest', { scope, items: all((i) => (i % every === 0 ? 2 : 1)) })
    const unchangedSec = (performance.now() - t) / 1000
    const count = (r: any, action: string) => r.records.filter((x: any) => x.action === action).length

    // Follow fan-out through the client library.
    const followScope = 'bench.stream'
    await call('dev.hearth.scope.ingest', { scope: followScope, key: 'warmup', data: { n: 0 } })
    const apps = await Promise.all(Array.from({ length: opts.apps }, (_, i) => devIdentity({ plcUrl: plcServer.url, name: `bench${i}` })))
    for (const app of apps) await call('dev.hearth.grant.create', { grantee: app.did, scopes: [followScope] })
    const expected = opts.streamCommits * 10
    const received = new Array<number>(opts.apps).fill(0)
    const doneAt = new Array<number>(opts.apps).fill(0)
    // One resolver (one DID cache) for the apps: they share this process with the PLC directory, and 50
    // lookups at once of the same document would measure that directory, not Hearth or the library.
    const idResolver = new IdResolver({ plcUrl: plcServer.url, timeout: 10_000, didCache: new MemoryCache(3600_000, 24 * 3600_000) })
    await idResolver.did.resolveAtprotoKey(owner.did)
    const follows: Follow[] = apps.map((identity, i) =>
      new HearthAppClient({ pds: hearth.url, identity, plcUrl: plcServer.url, idResolver }).follow([followScope], {
        onRecord: () => {
          if (++received[i] === expected) doneAt[i] = performance.now()
        },
        onError: (err) => console.error(`app ${i}: ${err.message}`),
      }),
    )
    await Promise.all(follows.map((f) => f.opened))
    await new Promise((r) => setTimeout(r, 2000)) // each server side checks its app's token (a PLC lookup) before events flow
    t = performance.now()
    for (let c = 0; c < opts.streamCommits; c++) {
      await call('dev.hearth.scope.ingest', { scope: followScope, data: Array.from({ length: 10 }, (_, j) => ({ c, j })) })
    }
    const sentSec = (performance.now() - t) / 1000
    const deadline = Date.now() + 300_000
    while (received.some((n) => n < expected) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    const allSec = (Math.max(...doneAt) - t) / 1000
    for (const f of follows) f.close()

    console.log(
      JSON.stringify(
        {
          note: 'one machine, shared by other work: figures are indicative',
          keyedReingest: {
            records: opts.records,
            changedFraction: opts.changed,
            firstIngest: { seconds: round(firstSec), commits: first.committed ? 1 : 0, creates: count(first, 'create') },
            resync: { seconds: round(resyncSec), commits: resync.committed ? 1 : 0, updates: count(resync, 'update'), unchanged: count(resync, 'unchanged') },
            resyncNothingChanged: { seconds: round(unchangedSec), commits: unchanged.committed ? 1 : 0 },
          },
          follow: {
            apps: opts.apps,
            commits: opts.streamCommits,
            recordsPerApp: expected,
            allReceived: received.every((n) => n === expected),
            ingestSeconds: round(sentSec),
            secondsUntilEveryAppHadEverything: round(allSec),
            verifiedRecordsPerSecondAllApps: round((expected * opts.apps) / allSec, 0),
          },
          hearthPeakRssMiB: peakRssMiB(hearth.child.pid!),
        },
        null,
        2,
      ),
    )
  } finally {
    hearth.child.kill('SIGTERM')
    await new Promise((r) => hearth.child.once('exit', r))
    await plcServer.close()
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err)
    process.exit(1)
  },
)

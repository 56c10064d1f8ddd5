/**
 * `npm run bench:scale`: how Hearth's costs grow — with accounts, with the
 * size of one repository, with firehose subscribers, with the database's
 * size (cold start), and with scope records. Each series starts its own
 * Hearth (compiled, as `npm start` runs it, temp data folder, rate limits
 * off) against a PLC directory in this process. Prints one JSON summary and
 * writes it, with an SVG chart per series, into bench-results/.
 *
 *   npm run bench:scale                       # every series at full size (~30 min on 2 cores)
 *   npm run bench:scale -- --quick            # small sizes, a few minutes
 *   npm run bench:scale -- --series accounts,repo
 *   npm run bench:scale -- --smoke            # tiny sizes: checks the script itself
 *
 * Series: accounts (1, 100, 1,000, 10,000), repo (1k, 10k, 100k records),
 * subscribers (10, 100, 1,000), db (cold start at 256 MiB, 1 GiB, 2 GiB),
 * scopes (10k, 100k, 1M records, then 100k followed by 50 apps).
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startEmbeddedPlc } from '../src/identity/embedded-plc.js'
import { accountsSeries } from './scale/accounts.js'
import { repoSizeSeries } from './scale/repo-size.js'
import { subscribersSeries } from './scale/subscribers.js'
import { dbSizeSeries } from './scale/db-size.js'
import { scopeIngestSeries } from './scale/scope-ingest.js'
import { charts } from './scale/charts.js'

const ALL = ['accounts', 'repo', 'subscribers', 'db', 'scopes'] as const
type Series = (typeof ALL)[number]

const FULL = {
  accounts: [1, 100, 1000, 10000],
  repo: [1000, 10000, 100000],
  subscribers: [10, 100, 1000],
  dbMiB: [256, 1024, 2048],
  scopes: [10000, 100000, 1000000],
  scopeApps: 50,
  followedRecords: 100000,
}
/** For checking the script itself: every series, tiny. */
const SMOKE = { accounts: [1, 10], repo: [200, 500], subscribers: [5, 10], dbMiB: [16, 32], scopes: [2000, 4000], scopeApps: 3, followedRecords: 2000 }
const QUICK = { accounts: [1, 100, 1000], repo: [1000, 10000], subscribers: [10, 100], dbMiB: [64, 256], scopes: [10000, 50000], scopeApps: 10, followedRecords: 10000 }

function parseArgs(argv: string[]) {
  let series: Series[] = [...ALL]
  let quick = false
  let smoke = false
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') quick = true
    else if (argv[i] === '--smoke') smoke = quick = true
    else if (argv[i] === '--series') {
      series = argv[++i].split(',') as Series[]
      for (const s of series) if (!ALL.includes(s)) throw new Error(`unknown series ${s} (one of ${ALL.join(', ')})`)
    } else throw new Error(`unknown argument ${argv[i]}`)
  }
  return { series, quick, smoke }
}

async function main() {
  const { series, quick, smoke } = parseArgs(process.argv.slice(2))
  const sizes = smoke ? SMOKE : quick ? QUICK : FULL
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
  execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { stdio: 'inherit' })
  const loadBefore = os.loadavg()[0]
  const plc = await startEmbeddedPlc()
  const results: Record<string, unknown> = {}
  try {
    if (series.includes('accounts')) results.accounts = await accountsSeries(plc.url, sizes.accounts)
    if (series.includes('repo')) results.repo = await repoSizeSeries(plc.url, sizes.repo)
    if (series.includes('subscribers')) results.subscribers = await subscribersSeries(plc.url, sizes.subscribers)
    if (series.includes('db')) results.db = await dbSizeSeries(plc.url, sizes.dbMiB)
    if (series.includes('scopes')) results.scopes = await scopeIngestSeries(plc.url, sizes.scopes, { apps: sizes.scopeApps, followedRecords: sizes.followedRecords })
  } finally {
    await plc.close()
  }
  const summary = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
    // Other work on the machine skews every figure: the 1-minute load average before and after the run.
    loadAverage: { before: Math.round(loadBefore * 10) / 10, after: Math.round(os.loadavg()[0] * 10) / 10 },
    mode: smoke ? 'smoke' : quick ? 'quick' : 'full',
    ...results,
  }
  const out = path.join(root, 'bench-results')
  fs.mkdirSync(out, { recursive: true })
  const name = `scale-${smoke ? 'smoke' : quick ? 'quick' : 'full'}`
  fs.writeFileSync(path.join(out, `${name}.json`), JSON.stringify(summary, null, 2) + '\n')
  for (const [file, svg] of charts(summary as never, quick)) fs.writeFileSync(path.join(out, `${name}-${file}.svg`), svg)
  console.log(JSON.stringify(summary, null, 2))
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})

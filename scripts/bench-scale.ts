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
 *   npm run bench:scale -- --reference        # accounts, repo, subscribers at the reference's sizes,
 *                                             # Hearth and the reference PDS in turn (two runs each), with ratios
 *   npm run bench:scale -- --url http://host:port [--pid N] --series repo   # any PDS (standard XRPC series only)
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
import { SUBSCRIBERS_HEARTH_ENV, subscribersSeries } from './scale/subscribers.js'
import { startTarget, type TargetSpec } from './scale/target.js'
import { compareRuns } from './scale/compare.js'
import { dbSizeSeries } from './scale/db-size.js'
import { scopeIngestSeries } from './scale/scope-ingest.js'
import { charts, comparisonCharts } from './scale/charts.js'

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
/** Where the reference PDS can run the same series (it makes each account a database of its own). */
const REFERENCE = { accounts: [1, 100, 1000], repo: [1000, 10000], subscribers: [10, 100, 1000] }
/** The series that use standard XRPC only, and so run against any PDS. */
const STANDARD: Series[] = ['accounts', 'repo', 'subscribers']
const QUICK = { accounts: [1, 100, 1000], repo: [1000, 10000], subscribers: [10, 100], dbMiB: [64, 256], scopes: [10000, 50000], scopeApps: 10, followedRecords: 10000 }

function parseArgs(argv: string[]) {
  let series: Series[] = [...ALL]
  let quick = false
  let smoke = false
  let reference = false
  let runs = 2
  const target: TargetSpec = { kind: 'hearth' }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') quick = true
    else if (argv[i] === '--smoke') smoke = quick = true
    else if (argv[i] === '--reference') reference = true
    else if (argv[i] === '--runs') runs = Number(argv[++i])
    else if (argv[i] === '--url') Object.assign(target, { kind: 'url', url: argv[++i] })
    else if (argv[i] === '--pid') target.pid = Number(argv[++i])
    else if (argv[i] === '--series') {
      series = argv[++i].split(',') as Series[]
      for (const s of series) if (!ALL.includes(s)) throw new Error(`unknown series ${s} (one of ${ALL.join(', ')})`)
    } else throw new Error(`unknown argument ${argv[i]}`)
  }
  if (target.kind !== 'hearth' || reference) {
    const explicit = argv.includes('--series')
    if (explicit && series.some((s) => !STANDARD.includes(s))) throw new Error(`--url and --reference run only ${STANDARD.join(', ')}`)
    if (!explicit) series = [...STANDARD]
  }
  return { series, quick, smoke, reference, runs, target }
}

async function main() {
  const { series, quick, smoke, reference, runs, target } = parseArgs(process.argv.slice(2))
  const sizes = smoke ? SMOKE : quick ? QUICK : FULL
  if (reference) return compareWithReference(series, smoke ? SMOKE : REFERENCE, runs, smoke)
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
  execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { stdio: 'inherit' })
  const loadBefore = os.loadavg()[0]
  const plc = await startEmbeddedPlc()
  const results: Record<string, unknown> = {}
  try {
    if (series.includes('accounts')) results.accounts = await accountsSeries(await startTarget(target, plc.url), sizes.accounts)
    if (series.includes('repo')) results.repo = await repoSizeSeries(await startTarget(target, plc.url), sizes.repo)
    if (series.includes('subscribers')) results.subscribers = await subscribersSeries(await startTarget(target, plc.url, SUBSCRIBERS_HEARTH_ENV), sizes.subscribers)
    if (series.includes('db')) results.db = await dbSizeSeries(plc.url, sizes.dbMiB)
    if (series.includes('scopes')) results.scopes = await scopeIngestSeries(plc.url, sizes.scopes, { apps: sizes.scopeApps, followedRecords: sizes.followedRecords })
  } finally {
    await plc.close()
  }
  const summary = {
    ...header(loadBefore),
    mode: smoke ? 'smoke' : quick ? 'quick' : 'full',
    ...(target.kind === 'url' ? { server: target.url } : {}),
    ...results,
  }
  const out = path.join(root, 'bench-results')
  fs.mkdirSync(out, { recursive: true })
  const name = `scale-${smoke ? 'smoke' : quick ? 'quick' : 'full'}${target.kind === 'url' ? '-url' : ''}`
  fs.writeFileSync(path.join(out, `${name}.json`), JSON.stringify(mergeRuns(path.join(out, `${name}.json`), summary, series), null, 2) + '\n')
  for (const [file, svg] of charts(summary as never, quick)) fs.writeFileSync(path.join(out, `${name}-${file}.svg`), svg)
  console.log(JSON.stringify(summary, null, 2))
}

function header(loadBefore: number) {
  return {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
    // Other work on the machine skews every figure: the 1-minute load average before and after the run.
    loadAverage: { before: Math.round(loadBefore * 10) / 10, after: Math.round(os.loadavg()[0] * 10) / 10 },
  }
}

/**
 * Each standard series on Hearth and on the reference PDS in turn (Hearth,
 * reference, Hearth, reference…: load from others on the machine falls on
 * both alike), the median of the runs per size, and the ratios. Writes
 * bench-results/scale-vs-reference.json and a chart per series with a line
 * for each server.
 */
async function compareWithReference(series: Series[], sizes: typeof REFERENCE, runs: number, smoke: boolean) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
  execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { stdio: 'inherit' })
  const loadBefore = os.loadavg()[0]
  const plc = await startEmbeddedPlc()
  const byServer: Record<'hearth' | 'reference', Record<string, unknown[][]>> = { hearth: {}, reference: {} }
  const loads: number[] = []
  try {
    for (const s of series) {
      for (let run = 0; run < runs; run++) {
        for (const kind of ['hearth', 'reference'] as const) {
          loads.push(os.loadavg()[0])
          const env = s === 'subscribers' ? SUBSCRIBERS_HEARTH_ENV : {}
          const t = await startTarget({ kind }, plc.url, env)
          const rows =
            s === 'accounts' ? await accountsSeries(t, sizes.accounts) : s === 'repo' ? await repoSizeSeries(t, sizes.repo) : await subscribersSeries(t, sizes.subscribers)
          ;(byServer[kind][s] ??= []).push(rows)
        }
      }
    }
  } finally {
    await plc.close()
  }
  const summary = {
    ...header(loadBefore),
    mode: smoke ? 'smoke-reference' : 'reference',
    referenceServer: '@atproto/pds 0.4.217 (scripts/reference-pds.mjs), rate limits off',
    runs,
    loadAverageDuringRuns: { min: Math.round(Math.min(...loads) * 10) / 10, max: Math.round(Math.max(...loads) * 10) / 10 },
    ...compareRuns(byServer),
  }
  const out = path.join(root, 'bench-results')
  const name = smoke ? 'scale-smoke-vs-reference' : 'scale-vs-reference'
  fs.writeFileSync(path.join(out, `${name}.json`), JSON.stringify(summary, null, 2) + '\n')
  for (const [file, svg] of comparisonCharts(summary as never)) fs.writeFileSync(path.join(out, `${name}-${file}.svg`), svg)
  console.log(JSON.stringify(summary, null, 2))
}

/**
 * A run of some series replaces only those in the JSON file: the others keep
 * their figures, each series carrying the date and load of the run that made it.
 */
function mergeRuns(file: string, summary: Record<string, unknown>, ran: string[]): Record<string, unknown> {
  let previous: Record<string, unknown> = {}
  try {
    previous = JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch {
    // first run
  }
  const runs: Record<string, unknown> = { ...((previous.runs as Record<string, unknown>) ?? {}) }
  // A file from before series carried their own dates: its series are the file's run.
  if (!previous.runs) for (const s of ALL) if (s in previous) runs[s] = { date: previous.date, loadAverage: previous.loadAverage }
  for (const s of ran) runs[s] = { date: summary.date, loadAverage: summary.loadAverage }
  return { ...previous, ...summary, runs }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})

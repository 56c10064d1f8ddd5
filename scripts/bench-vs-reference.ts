/**
 * `npm run bench:vs-reference`: the standard workload (scripts/bench.ts)
 * against Hearth and against the reference PDS in alternating runs —
 * Hearth, reference, Hearth, reference… — so load from other work on the
 * machine falls on both alike; the median of each figure per server and how
 * many times better Hearth is. Each run gets a fresh server: Hearth as
 * `bench --spawn` starts it, the reference from scripts/reference-pds.mjs
 * (its own PLC directory on loopback, rate limits off), whose peak RSS is
 * read from /proc as bench reads Hearth's.
 *
 *   npm run bench:vs-reference                 # two runs each
 *   npm run bench:vs-reference -- --runs 3 -- --creates 200   # arguments after the second -- go to bench
 *
 * Writes bench-results/bench-vs-reference.json.
 */
import { execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { peakRssMiB } from './bench-server.js'
import { advantage, medianRow } from './scale/compare.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const tsx = path.join(root, 'node_modules/.bin/tsx')

function parseArgs(argv: string[]) {
  let runs = 2
  const split = argv.indexOf('--')
  const own = split >= 0 ? argv.slice(0, split) : argv
  const benchArgs = split >= 0 ? argv.slice(split + 1) : []
  for (let i = 0; i < own.length; i++) {
    if (own[i] === '--runs') runs = Number(own[++i])
    else throw new Error(`unknown argument ${own[i]}`)
  }
  return { runs, benchArgs }
}

/** One run of scripts/bench.ts with these arguments; its JSON summary. */
function bench(args: string[]): Record<string, unknown> {
  const out = execFileSync(tsx, [path.join(root, 'scripts/bench.ts'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 2 ** 20 }).toString()
  return JSON.parse(out.slice(out.indexOf('{')))
}

async function withReference<T>(fn: (url: string, pid: number) => Promise<T>): Promise<T> {
  const child = spawn(process.execPath, [path.join(root, 'scripts/reference-pds.mjs'), '--exit-with-stdin'], { stdio: ['pipe', 'pipe', 'inherit'] })
  const exited = new Promise((r) => child.once('exit', r))
  try {
    const line = await new Promise<string>((resolve, reject) => {
      readline.createInterface({ input: child.stdout! }).once('line', resolve)
      child.once('exit', (code) => reject(new Error(`reference PDS exited (${code}) before it was up`)))
    })
    return await fn((JSON.parse(line) as { url: string }).url, child.pid!)
  } finally {
    child.kill('SIGTERM')
    await exited
  }
}

async function main() {
  const { runs, benchArgs } = parseArgs(process.argv.slice(2))
  const loads: number[] = []
  const hearth: Record<string, unknown>[] = []
  const reference: Record<string, unknown>[] = []
  for (let run = 0; run < runs; run++) {
    loads.push(os.loadavg()[0])
    hearth.push(bench(['--spawn', ...benchArgs]))
    console.error(`hearth run ${run + 1}: ${JSON.stringify(hearth.at(-1))}`)
    loads.push(os.loadavg()[0])
    reference.push(
      await withReference(async (url, pid) => {
        // Run bench in the background so this process can read the reference's peak RSS once it is done.
        const summary = await new Promise<Record<string, unknown>>((resolve, reject) => {
          const c = spawn(tsx, [path.join(root, 'scripts/bench.ts'), '--url', url, ...benchArgs], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
          let text = ''
          c.stdout!.on('data', (d) => (text += d))
          c.once('exit', (code) => (code === 0 ? resolve(JSON.parse(text.slice(text.indexOf('{')))) : reject(new Error(`bench exited ${code}`))))
        })
        return { ...summary, serverPeakRssMiB: peakRssMiB(pid) }
      }),
    )
    console.error(`reference run ${run + 1}: ${JSON.stringify(reference.at(-1))}`)
  }
  const strip = (r: Record<string, unknown>) => ({ ...r, server: undefined })
  const h = medianRow(hearth.map(strip))
  const r = medianRow(reference.map(strip))
  const summary = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version },
    loadAverageDuringRuns: { min: Math.round(Math.min(...loads) * 10) / 10, max: Math.round(Math.max(...loads) * 10) / 10 },
    referenceServer: '@atproto/pds 0.4.217 (scripts/reference-pds.mjs), rate limits off',
    runs,
    benchArgs,
    hearth: h,
    reference: r,
    hearthTimesBetter: advantage(h, r),
  }
  fs.mkdirSync(path.join(root, 'bench-results'), { recursive: true })
  fs.writeFileSync(path.join(root, 'bench-results/bench-vs-reference.json'), JSON.stringify(summary, null, 2) + '\n')
  console.log(JSON.stringify(summary, null, 2))
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})

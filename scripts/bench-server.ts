/**
 * The server side of the benchmarks: Hearth built and started as `npm start`
 * runs it (temp data folder, open registration, no rate limits), and its peak
 * memory.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d

/** VmHWM: the process's peak resident set size, from /proc (Linux). */
export function peakRssMiB(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? round(Number(m[1]) / 1024) : null
  } catch {
    return null
  }
}

/** Builds and starts Hearth as `npm start` runs it, with a temp data dir, open registration and no rate limits. */
export async function spawnHearth(
  plcUrl: string,
  opts: { dataDir?: string; port?: number; skipBuild?: boolean; env?: Record<string, string>; /** Another build's entry point (before/after comparisons). */ main?: string } = {},
): Promise<{ child: ChildProcess; dataDir: string; url: string; controlSocket: string; port: number }> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
  if (!opts.skipBuild) execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { stdio: 'inherit' })
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-bench-'))
  const port = opts.port ?? 20000 + Math.floor(Math.random() * 20000)
  const url = `http://localhost:${port}`
  // The flags `npm start` uses (package.json): a 4 MiB young generation keeps peak RSS ~30 MiB lower at no measured cost.
  // HEARTH_BENCH_NODE_ARGS adds Node flags for profiling runs (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
  const extra = (process.env.HEARTH_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)
  const child = spawn(process.execPath, [...extra, '--enable-source-maps', '--max-semi-space-size=4', opts.main ?? path.join(root, 'dist/src/main.js')], {
    cwd: root,
    env: {
      ...process.env,
      HEARTH_PORT: String(port),
      HEARTH_HOST: '127.0.0.1',
      HEARTH_DATA_DIR: dataDir,
      HEARTH_PUBLIC_URL: url,
      HEARTH_PLC_URL: plcUrl,
      HEARTH_REGISTRATION: 'open',
      HEARTH_RATE_LIMITS: 'off',
      HEARTH_LOG_LEVEL: 'warn',
      ...opts.env,
    },
    // HEARTH_BENCH_SERVER_LOG=1 shows the server's log lines (stdout), to see why a request failed.
    stdio: ['ignore', process.env.HEARTH_BENCH_SERVER_LOG ? 'inherit' : 'ignore', 'inherit'],
  })
  for (let i = 0; i < 1000; i++) {
    try {
      const res = await fetch(`${url}/xrpc/_health`)
      if (res.ok) return { child, dataDir, url, port, controlSocket: path.join(dataDir, 'control.sock') }
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  child.kill('SIGKILL')
  throw new Error('Hearth did not come up within 20 s')
}

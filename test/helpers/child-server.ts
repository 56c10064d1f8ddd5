/**
 * Runs Hearth as its own process, the way `npm start` does (src/main.ts),
 * for tests that must kill it or restart it: crash safety, restarts, start-up
 * errors. The process is `node --import tsx src/main.ts` (one process, no
 * tsx wrapper in between, so a SIGKILL reaches the server itself).
 *
 * @example
 * const child = await startChildServer({ HEARTH_DATA_DIR: dir, HEARTH_PORT: String(port) })
 * await fetch(`${child.url}/xrpc/_health`)
 * await child.kill('SIGKILL')
 */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export interface ChildServer {
  /** http://127.0.0.1:<port> */
  url: string
  port: number
  pid: number
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string
  /** The process's JSON log lines (pino), parsed; non-JSON lines are skipped. */
  logs(): Record<string, unknown>[]
  /** The first log line `match` accepts, waiting for it to be written (throws after `timeoutMs`). */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>
  /** Sends the signal and waits for the process to be gone. Returns its exit code or signal. */
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Resolves when the process exits on its own. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Every child started and not yet gone: killed at exit of the test process, so none is left behind. */
const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL')
})

/**
 * Starts `src/main.ts` with exactly `env` (plus PATH/HOME and the like) and
 * waits until it serves: /xrpc/_health answers, and so does describeServer
 * (health may answer while start-up is still finishing). HEARTH_PORT is
 * required: the URL is built from it.
 */
export async function startChildServer(env: Record<string, string>, opts: { timeoutMs?: number } = {}): Promise<ChildServer> {
  const port = Number(env.HEARTH_PORT)
  if (!port) throw new Error('startChildServer needs HEARTH_PORT')
  const child = spawnMain(env)
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000)
  while (true) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(`hearth exited before it answered (${child.process.exitCode ?? child.process.signalCode}):\n${child.output()}`)
    }
    try {
      const res = await fetch(`${url}/xrpc/_health`)
      if (res.ok && (await fetch(`${url}/xrpc/com.atproto.server.describeServer`)).ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.process.kill('SIGKILL')
      throw new Error(`hearth did not answer /xrpc/_health in time:\n${child.output()}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    url,
    port,
    pid: child.process.pid!,
    output: child.output,
    logs: () => parseLogs(child.output()),
    async waitForLog(match, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs
      while (true) {
        const line = parseLogs(child.output()).find(match)
        if (line) return line
        if (Date.now() > until) throw new Error(`no such log line:\n${child.output()}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    },
    exited: child.exited,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill(signal)
      return child.exited
    },
  }
}

/**
 * Runs `src/main.ts` with `env` and waits for it to exit by itself (for
 * configurations that must stop start-up). Kills it after `timeoutMs`.
 */
export async function runChildServerToExit(
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  const child = spawnMain(env)
  const timer = setTimeout(() => child.process.kill('SIGKILL'), timeoutMs)
  const result = await child.exited
  clearTimeout(timer)
  return { ...result, output: child.output() }
}

function spawnMain(env: Record<string, string>) {
  const base: Record<string, string> = {}
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'SystemRoot']) if (process.env[k]) base[k] = process.env[k]!
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(proc)
  let out = ''
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d))
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('close', (code, signal) => {
      running.delete(proc)
      resolve({ code, signal })
    })
  })
  return { process: proc, output: () => out, exited }
}

function parseLogs(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = []
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue
    try {
      out.push(JSON.parse(line))
    } catch {
      // a line cut short by a kill
    }
  }
  return out
}

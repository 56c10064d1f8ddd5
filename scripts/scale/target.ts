/**
 * The server a scale series measures: a Hearth it starts (as `npm start`
 * runs it), the reference PDS it starts (scripts/reference-pds.mjs, on the
 * same PLC directory), or any PDS already running at a URL. The series that
 * use only standard XRPC (accounts, repo, subscribers) run against all
 * three; `pid` is there when the server runs on this machine (for its RSS),
 * `controlSocket` only for Hearth.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { spawnHearth } from '../bench-server.js'
import { stop as stopHearth } from './accounts.js'

export type TargetKind = 'hearth' | 'reference' | 'url'

export interface Target {
  kind: TargetKind
  url: string
  pid?: number
  controlSocket?: string
  stop(): Promise<void>
}

export interface TargetSpec {
  kind: TargetKind
  /** For kind 'url'. */
  url?: string
  /** For kind 'url': the server's process id, when it runs here (for RSS). */
  pid?: number
}

export async function startTarget(spec: TargetSpec, plcUrl: string, env: Record<string, string> = {}): Promise<Target> {
  if (spec.kind === 'hearth') {
    const hearth = await spawnHearth(plcUrl, { skipBuild: true, env })
    return { kind: 'hearth', url: hearth.url, pid: hearth.child.pid, controlSocket: hearth.controlSocket, stop: () => stopHearth(hearth) }
  }
  if (spec.kind === 'reference') return startReference(plcUrl)
  if (!spec.url) throw new Error('--url needs a URL')
  return { kind: 'url', url: spec.url.replace(/\/$/, ''), pid: spec.pid, stop: async () => {} }
}

/** The reference PDS as a child process (its own RSS), on this PLC directory; stopped with SIGTERM. */
async function startReference(plcUrl: string): Promise<Target> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), '../reference-pds.mjs')
  const child = spawn(process.execPath, [script, '--plc', plcUrl, '--exit-with-stdin'], { stdio: ['pipe', 'pipe', 'inherit'] })
  const exited = new Promise((r) => child.once('exit', r))
  const first = await new Promise<string>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! })
    lines.once('line', resolve)
    child.once('exit', (code) => reject(new Error(`reference PDS exited (${code}) before it was up`)))
  })
  const { url } = JSON.parse(first) as { url: string }
  return {
    kind: 'reference',
    url,
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM')
      await exited
    },
  }
}

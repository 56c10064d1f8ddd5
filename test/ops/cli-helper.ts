/**
 * Runs scripts/hearth-cli.ts as an operator would (its own process, through
 * tsx), against a control socket.
 */
import { execFile } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
  /** stdout parsed as JSON (undefined when it is not). */
  json: any
}

export function runCli(socket: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(root, 'scripts/hearth-cli.ts'), '--socket', socket, ...args],
      { cwd: opts.cwd ?? root, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...opts.env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        let json: unknown
        try {
          json = JSON.parse(stdout)
        } catch {
          json = undefined
        }
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0
        resolve({ code, stdout, stderr, json })
      },
    )
  })
}

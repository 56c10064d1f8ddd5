/**
 * `hearth-cli migrate`: moves an account from another PDS into this Hearth
 * over HTTP, with a progress bar. The steps are src/move/move-in.ts (the
 * web page's move runs the same ones); what is the command's own: the new
 * account gets the old password (so a later run signs in with it), an
 * invite comes from the control socket, and the PLC step takes the mailed
 * code as --plc-token on a second run.
 *
 * Each run prints what it did and what is left.
 */
import cliProgress, { type SingleBar } from 'cli-progress'
import { AtpAgent } from '@atproto/api'
import type { ControlClient } from '../src/control/control-client.js'
import { moveIn, type MoveInProgress, type MoveInReport } from '../src/move/move-in.js'

export interface MigrateOptions {
  from: string
  to: string
  handle: string
  password: string
  /** The handle on this server; default: the old handle's first label under this server's first domain. */
  newHandle?: string
  plcToken?: string
  control: ControlClient
}

export type MigrateReport = MoveInReport

const say = (line: string) => process.stderr.write(`${line}\n`)

export async function migrateAccount(opts: MigrateOptions): Promise<MigrateReport> {
  const old = new AtpAgent({ service: opts.from })
  await old.login({ identifier: opts.handle, password: opts.password })
  const here = new AtpAgent({ service: opts.to })
  const bar = progressBar()
  try {
    return await moveIn({
      old,
      here,
      async signInHere(did) {
        try {
          await here.login({ identifier: did, password: opts.password })
          return true
        } catch {
          return false
        }
      },
      password: opts.password,
      newHandle: opts.newHandle,
      inviteCode: async () => (await opts.control.json<{ codes: string[] }>('POST', '/invites', { uses: 1, count: 1 })).codes[0],
      plcToken: opts.plcToken,
      onStep: (line) => say(`migrate: ${line}`),
      onProgress: bar.update,
    })
  } finally {
    bar.stop()
  }
}

/** The blobs' bar on a terminal; elsewhere (logs, tests) one line per blob. */
function progressBar() {
  let bar: SingleBar | null = null
  return {
    update(p: MoveInProgress) {
      if (p.phase !== 'blobs') {
        bar?.stop()
        bar = null
        return
      }
      if (!process.stderr.isTTY) return say(`migrate: blobs ${p.blobs.done}/${p.blobs.total} (${p.bytes} bytes)`)
      if (!bar) {
        bar = new cliProgress.SingleBar(
          { format: 'blobs [{bar}] {value}/{total} | {bytes} bytes | {eta_formatted} left', stream: process.stderr, hideCursor: true },
          cliProgress.Presets.shades_classic,
        )
        bar.start(p.blobs.total, p.blobs.done, { bytes: p.bytes })
      } else bar.update(p.blobs.done, { bytes: p.bytes })
    },
    stop() {
      bar?.stop()
      bar = null
    },
  }
}

/**
 * `hearth-cli migrate`: moves an account from another PDS into this Hearth
 * with the standard calls (as `goat account migrate` makes them), and picks
 * up where it stopped when run again: an account already made here is
 * signed into, the repository is imported again (it replaces the earlier
 * copy, so records written on the old server since are not lost), only
 * the blobs still missing are uploaded, and the PLC step waits for the
 * confirmation code the old server mails.
 *
 * Each run prints what it did and what is left. Until the PLC operation
 * lands, the DID document still names the old server: stopping here loses
 * nothing, and the old account goes on working.
 */
import cliProgress from 'cli-progress'
import { AtpAgent } from '@atproto/api'
import type { ControlClient } from '../src/control/control-client.js'

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

export interface MigrateReport {
  did: string
  handle: string
  steps: string[]
  records: number
  blobs: { expected: number; uploadedNow: number; bytesNow: number; missing: number }
  done: boolean
  left: string[]
}

const say = (line: string) => process.stderr.write(`${line}\n`)

export async function migrateAccount(opts: MigrateOptions): Promise<MigrateReport> {
  const steps: string[] = []
  const step = (s: string) => {
    steps.push(s)
    say(`migrate: ${s}`)
  }
  const old = new AtpAgent({ service: opts.from })
  await old.login({ identifier: opts.handle, password: opts.password })
  const did = old.session!.did
  const here = new AtpAgent({ service: opts.to })
  const server = (await here.com.atproto.server.describeServer()).data

  // 1. The account here: made once, signed into on every later run.
  try {
    await here.login({ identifier: did, password: opts.password })
    step(`signed in to the account already made here for ${did}`)
  } catch {
    const handle = opts.newHandle ?? `${opts.handle.split('.')[0]}${server.availableUserDomains[0] ?? ''}`
    const auth = await old.com.atproto.server.getServiceAuth({ aud: server.did, lxm: 'com.atproto.server.createAccount' })
    let inviteCode: string | undefined
    if (server.inviteCodeRequired) {
      const made = await opts.control.json<{ codes: string[] }>('POST', '/invites', { uses: 1, count: 1 })
      inviteCode = made.codes[0]
    }
    await here.com.atproto.server.createAccount(
      { did, handle, password: opts.password, email: old.session!.email, inviteCode },
      { headers: { authorization: `Bearer ${auth.data.token}` }, encoding: 'application/json' },
    )
    await here.login({ identifier: did, password: opts.password })
    step(`made a deactivated account here for ${did} as ${handle}`)
  }

  let status = (await here.com.atproto.server.checkAccountStatus()).data
  if (!status.activated) {
    // 2. The repository, again on every run: importing replaces the earlier copy.
    const car = await old.com.atproto.sync.getRepo({ did })
    say(`migrate: repository ${car.data.length} bytes, importing`)
    await here.com.atproto.repo.importRepo(car.data, { encoding: 'application/vnd.ipld.car' })
    status = (await here.com.atproto.server.checkAccountStatus()).data
    step(`imported the repository: ${status.indexedRecords} records`)
  }

  // 3. The blobs still missing.
  const missingBefore = status.expectedBlobs - status.importedBlobs
  let uploaded = 0
  let bytes = 0
  if (missingBefore > 0) {
    const bar = progressBar('blobs', missingBefore)
    let cursor: string | undefined
    do {
      const page = (await here.com.atproto.repo.listMissingBlobs({ limit: 100, cursor })).data
      for (const { cid } of page.blobs) {
        const blob = await old.com.atproto.sync.getBlob({ did, cid })
        await here.com.atproto.repo.uploadBlob(blob.data, { encoding: blob.headers['content-type'] ?? 'application/octet-stream' })
        uploaded++
        bytes += blob.data.length
        bar.update(uploaded, bytes)
      }
      cursor = page.cursor
    } while (cursor)
    bar.stop()
    step(`uploaded ${uploaded} blobs (${bytes} bytes)`)
  }

  // 4. Preferences (kept by the PDS, not in the repository).
  if (!status.activated) {
    const prefs = await old.app.bsky.actor.getPreferences()
    await here.app.bsky.actor.putPreferences({ preferences: prefs.data.preferences })
    step(`copied ${prefs.data.preferences.length} preferences`)
  }

  // 5. The PLC operation: signed by the old server with the mailed code, sent from here.
  status = (await here.com.atproto.server.checkAccountStatus()).data
  const left: string[] = []
  if (!status.validDid) {
    if (!opts.plcToken) {
      await old.com.atproto.identity.requestPlcOperationSignature()
      step('asked the old server for a confirmation code: it mails it to the account\'s address')
      left.push('the PLC operation: run this command again with --plc-token <the code from the email>')
      left.push('activating the account here, deactivating it on the old server')
    } else {
      const credentials = (await here.com.atproto.identity.getRecommendedDidCredentials()).data
      const signed = await old.com.atproto.identity.signPlcOperation({ token: opts.plcToken, ...credentials })
      await here.com.atproto.identity.submitPlcOperation({ operation: signed.data.operation })
      step('the DID document now names this server')
    }
  }

  // 6. Activation here, deactivation there.
  if (left.length === 0) {
    if (!status.activated) {
      await here.com.atproto.server.activateAccount()
      step('activated the account here')
    }
    const there = (await old.com.atproto.sync.getRepoStatus({ did })).data
    if (there.active) {
      await old.com.atproto.server.deactivateAccount({})
      step('deactivated the account on the old server')
    }
  }
  status = (await here.com.atproto.server.checkAccountStatus()).data
  const missing = status.expectedBlobs - status.importedBlobs
  if (missing > 0) left.unshift(`${missing} blobs are still missing: run this command again`)
  return {
    did,
    handle: here.session!.handle,
    steps,
    records: status.indexedRecords,
    blobs: { expected: status.expectedBlobs, uploadedNow: uploaded, bytesNow: bytes, missing },
    done: left.length === 0 && status.activated,
    left,
  }
}

/** A bar on a terminal; elsewhere (logs, tests) one line per item. */
function progressBar(what: string, total: number) {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${what} [{bar}] {value}/{total} | {bytes} bytes | {eta_formatted} left`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    )
    bar.start(total, 0, { bytes: 0 })
    return { update: (n: number, bytes: number) => bar.update(n, { bytes }), stop: () => bar.stop() }
  }
  return { update: (n: number, bytes: number) => say(`migrate: ${what} ${n}/${total} (${bytes} bytes)`), stop: () => {} }
}

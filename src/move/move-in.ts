/**
 * Moving an account from another PDS into this Hearth with the standard
 * calls (as `goat account migrate` makes them), run by both the command
 * (`hearth-cli migrate`, over HTTP) and the web page's background job (the
 * same calls, sent to this server in-process): one set of steps, so the two
 * cannot drift apart.
 *
 * Every run picks up where an earlier one stopped: an account already made
 * here is signed into, the repository is imported again while the account
 * is not active (importing replaces the earlier copy, so records written on
 * the old server since are not lost), only the blobs still missing are
 * uploaded, and the PLC step waits for the confirmation code the old server
 * mails. Until the PLC operation lands the DID document still names the old
 * server: stopping anywhere before that loses nothing, and the old account
 * goes on working.
 */
import { AtpAgent } from '@atproto/api'

export type MoveInPhase = 'account' | 'repository' | 'blobs' | 'preferences' | 'confirmation' | 'activation' | 'done'

/** What a move has brought over so far, for a progress bar or the web page. */
export interface MoveInProgress {
  phase: MoveInPhase
  /** Records indexed here (after the import). */
  records: number
  /** Blobs the records reference, and how many of them are here. */
  blobs: { done: number; total: number }
  /** Bytes copied in this run: the repository CAR and the blobs. */
  bytes: number
}

export interface MoveInOptions {
  /** The old server, signed in as the account. */
  old: AtpAgent
  /** This server, without a session. */
  here: AtpAgent
  /** Signs `here` in to the account if it is here already (an earlier run made it); false when it is not. */
  signInHere(did: string): Promise<boolean>
  /** The handle here; default: the old handle's first label under this server's first domain. */
  newHandle?: string
  /** The password of the account here (the command reuses the old one; the web page sets none). */
  password?: string
  /** An invite code, asked for only when this server requires one. */
  inviteCode?(): Promise<string | undefined>
  /** The confirmation code the old server mailed, if the person has it already. */
  plcToken?: string
  /**
   * Asks the person for the mailed code and waits for it (the web page);
   * `problem` says why the last one was refused. Without it the run stops
   * at that step and says what is left (the command).
   */
  waitForPlcToken?(problem?: string): Promise<string>
  /** Called once the account here is made (with the old server's service-auth token for the DID). */
  onAccountMade?(did: string): void
  onStep?(line: string): void
  onProgress?(progress: MoveInProgress): void
}

export interface MoveInReport {
  did: string
  handle: string
  steps: string[]
  records: number
  blobs: { expected: number; uploadedNow: number; bytesNow: number; missing: number }
  done: boolean
  left: string[]
}

/** What the old server's service-auth token is for: createAccount here, with the DID. */
export const CREATE_ACCOUNT = 'com.atproto.server.createAccount'

/** The reference's names for a refused confirmation code: the person may try another. */
const TOKEN_ERRORS = new Set(['InvalidToken', 'ExpiredToken'])

export async function moveIn(opts: MoveInOptions): Promise<MoveInReport> {
  const { old, here } = opts
  const steps: string[] = []
  const step = (s: string) => {
    steps.push(s)
    opts.onStep?.(s)
  }
  const did = old.session!.did
  let records = 0
  let blobs = { done: 0, total: 0 }
  let bytes = 0
  const progress = (phase: MoveInPhase) => opts.onProgress?.({ phase, records, blobs: { ...blobs }, bytes })
  const server = (await here.com.atproto.server.describeServer()).data

  // 1. The account here: made once, signed into on every later run.
  progress('account')
  if (await opts.signInHere(did)) {
    step(`signed in to the account already made here for ${did}`)
  } else {
    const oldHandle = old.session!.handle
    const handle = opts.newHandle ?? `${oldHandle.split('.')[0]}${server.availableUserDomains[0] ?? ''}`
    const auth = await old.com.atproto.server.getServiceAuth({ aud: server.did, lxm: CREATE_ACCOUNT })
    const inviteCode = server.inviteCodeRequired ? await opts.inviteCode?.() : undefined
    const made = await here.com.atproto.server.createAccount(
      { did, handle, password: opts.password, email: old.session!.email, inviteCode },
      { headers: { authorization: `Bearer ${auth.data.token}` }, encoding: 'application/json' },
    )
    here.sessionManager.session = { ...made.data, active: false }
    opts.onAccountMade?.(did)
    step(`made a deactivated account here for ${did} as ${handle}`)
  }

  let status = (await here.com.atproto.server.checkAccountStatus()).data
  const count = () => {
    records = status.indexedRecords
    blobs = { done: status.importedBlobs, total: status.expectedBlobs }
  }
  count()
  if (!status.activated) {
    // 2. The repository, again on every run: importing replaces the earlier copy.
    progress('repository')
    const car = await old.com.atproto.sync.getRepo({ did })
    bytes += car.data.length
    opts.onStep?.(`repository ${car.data.length} bytes, importing`)
    await here.com.atproto.repo.importRepo(car.data, { encoding: 'application/vnd.ipld.car' })
    status = (await here.com.atproto.server.checkAccountStatus()).data
    count()
    step(`imported the repository: ${status.indexedRecords} records`)
  }

  // 3. The blobs still missing.
  let uploaded = 0
  let blobBytes = 0
  if (status.expectedBlobs > status.importedBlobs) {
    progress('blobs')
    let cursor: string | undefined
    do {
      const page = (await here.com.atproto.repo.listMissingBlobs({ limit: 100, cursor })).data
      for (const { cid } of page.blobs) {
        const blob = await old.com.atproto.sync.getBlob({ did, cid })
        await here.com.atproto.repo.uploadBlob(blob.data, { encoding: blob.headers['content-type'] ?? 'application/octet-stream' })
        uploaded++
        blobBytes += blob.data.length
        bytes += blob.data.length
        blobs.done++
        progress('blobs')
      }
      cursor = page.cursor
    } while (cursor)
    step(`uploaded ${uploaded} blobs (${blobBytes} bytes)`)
  }

  // 4. Preferences (kept by the PDS, not in the repository).
  if (!status.activated) {
    progress('preferences')
    const prefs = await old.app.bsky.actor.getPreferences()
    await here.app.bsky.actor.putPreferences({ preferences: prefs.data.preferences })
    step(`copied ${prefs.data.preferences.length} preferences`)
  }

  // 5. The PLC operation: signed by the old server with the mailed code, sent from here.
  status = (await here.com.atproto.server.checkAccountStatus()).data
  count()
  const left: string[] = []
  if (!status.validDid) {
    progress('confirmation')
    let token = opts.plcToken
    if (!token) {
      await old.com.atproto.identity.requestPlcOperationSignature()
      step("asked the old server for a confirmation code: it mails it to the account's address")
      if (opts.waitForPlcToken) token = await opts.waitForPlcToken()
      else {
        left.push('the PLC operation: run this command again with --plc-token <the code from the email>')
        left.push('activating the account here, deactivating it on the old server')
      }
    }
    while (token) {
      const credentials = (await here.com.atproto.identity.getRecommendedDidCredentials()).data
      try {
        const signed = await old.com.atproto.identity.signPlcOperation({ token, ...credentials })
        await here.com.atproto.identity.submitPlcOperation({ operation: signed.data.operation })
        step('the DID document now names this server')
        break
      } catch (err) {
        const name = (err as { error?: string }).error
        if (!opts.waitForPlcToken || !name || !TOKEN_ERRORS.has(name)) throw err
        token = await opts.waitForPlcToken(`The old server refused that code (${(err as Error).message}). Check the latest email, or ask for a new code.`)
      }
    }
  }

  // 6. Activation here, deactivation there.
  if (left.length === 0) {
    progress('activation')
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
  count()
  const missing = status.expectedBlobs - status.importedBlobs
  if (missing > 0) left.unshift(`${missing} blobs are still missing: run the move again`)
  const done = left.length === 0 && status.activated
  if (done) progress('done')
  return {
    did,
    handle: here.session!.handle,
    steps,
    records: status.indexedRecords,
    blobs: { expected: status.expectedBlobs, uploadedNow: uploaded, bytesNow: blobBytes, missing },
    done,
    left,
  }
}

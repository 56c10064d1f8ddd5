/**
 * Moves into this server started from the web page, each a background job
 * keyed by a random id, running the same steps as the command
 * (src/move/move-in.ts) against this server in-process.
 *
 * - The old password signs in to the old server once, in the request that
 *   starts (or resumes) the move, and is dropped: the job keeps only the old
 *   server's session, in memory, until it ends. Nothing of it is written to
 *   disk or logs. A restart forgets the session, so the page asks for the
 *   password again to resume (the row in move_in_job says where it was).
 * - The job waits for the confirmation code the old server mails; the page
 *   hands it over (and another one if the old server refused it).
 * - A job belongs to the browser that started it. It gets a session here
 *   for the DID only once that DID is proven: it made the account (with the
 *   old server's service-auth token, checked against the DID document), or
 *   the old server mints such a token now. A made-up old server that claims
 *   someone else's DID gets nowhere.
 */
import { AtpAgent } from '@atproto/api'
import type { IdResolver } from '@atproto/identity'
import type { Config } from '../config.js'
import type { Logger } from '../logger.js'
import type { AccountStore } from '../account/account-store.js'
import type { SessionTokens } from '../auth/session-tokens.js'
import type { ServiceJwtVerifier } from '../auth/service-jwt.js'
import { endpointProblem } from '../proxy/endpoint-policy.js'
import { moveIn, CREATE_ACCOUNT, type MoveInProgress, type MoveInReport } from './move-in.js'
import { MoveInJobStore, hashBrowserToken, type MoveInJobRow } from './move-in-job-store.js'

/** How long a job waits for the mailed code before it lets the old session go. */
export const CODE_WAIT_MS = 30 * 60_000
/** A call to the old server that takes longer than this fails the step (a repository of a few hundred MB still fits). */
const OLD_SERVER_TIMEOUT_MS = 10 * 60_000

export interface MoveInJobsDeps {
  config: Config
  logger: Logger
  accounts: AccountStore
  tokens: SessionTokens
  serviceJwt: ServiceJwtVerifier
  idResolver: IdResolver
  store: MoveInJobStore
}

/** A refusal the page shows as it is (wrong password, unknown server, …): nothing was started. */
export class MoveInRefused extends Error {}

/** What the page shows of a move. `interrupted`: the row says it was running, but this process has no session for it. */
export interface MoveInView {
  id: string
  state: MoveInJobRow['state'] | 'interrupted'
  oldService: string
  oldIdentifier: string
  newHandle: string
  did: string | null
  message: string | null
  progress: MoveInProgress | null
  steps: string[]
  /** Why the last code was refused, while it waits for another. */
  codeProblem: string | null
  report: MoveInReport | null
}

interface LiveJob {
  /** False once the run ended (its last progress stays a while for the page). */
  running: boolean
  progress: MoveInProgress | null
  steps: string[]
  codeProblem: string | null
  giveCode: ((code: string) => void) | null
  report: MoveInReport | null
  /** Ends the wait for a code (close). */
  abort: (err: Error) => void
}

export interface StartMoveIn {
  browserToken: string
  identifier: string
  /** The old server's URL; empty: found from the handle's DID document. */
  service?: string
  password: string
  newHandle: string
  inviteCode?: string
  plcToken?: string
}

export class MoveInJobs {
  private live = new Map<string, LiveJob>()
  private selfFetch: typeof globalThis.fetch | null = null
  private closed = false

  constructor(private deps: MoveInJobsDeps) {}

  /** The app the jobs send their calls "here" to (set by buildApp). */
  serveThrough(fetch: (req: Request) => Response | Promise<Response>): void {
    this.selfFetch = (input, init) => Promise.resolve(fetch(new Request(input as RequestInfo, init)))
  }

  /** Signs in to the old server and starts the move; throws MoveInRefused for what the person can fix. */
  async start(req: StartMoveIn): Promise<string> {
    const { service, old } = await this.signInToOld(req.identifier, req.service, req.password)
    const id = this.deps.store.create({
      browserHash: hashBrowserToken(req.browserToken),
      oldService: service,
      oldIdentifier: req.identifier,
      newHandle: req.newHandle,
    })
    this.run(id, old, req)
    return id
  }

  /** Starts a stopped move again (after a restart or a failure), with the password asked for again. */
  async resume(id: string, req: Omit<StartMoveIn, 'identifier' | 'service' | 'newHandle'>): Promise<void> {
    const row = this.owned(id, req.browserToken)
    if (!row) throw new MoveInRefused('There is no such move in this browser.')
    if (this.live.get(id)?.running || row.state === 'done') throw new MoveInRefused('This move is not stopped: there is nothing to resume.')
    const { old } = await this.signInToOld(row.oldIdentifier, row.oldService, req.password)
    if (row.did && old.session!.did !== row.did) throw new MoveInRefused(`That account is ${old.session!.did}, not ${row.did}, the one this move is for.`)
    this.deps.store.setState(id, 'running')
    this.run(id, old, { ...req, identifier: row.oldIdentifier, newHandle: row.newHandle })
  }

  /** Hands the mailed code to a job waiting for it. */
  giveCode(id: string, browserToken: string, code: string): boolean {
    const job = this.live.get(id)
    if (!job?.giveCode || !this.owned(id, browserToken)) return false
    job.giveCode(code.trim())
    return true
  }

  view(id: string, browserToken: string | undefined): MoveInView | null {
    const row = browserToken ? this.owned(id, browserToken) : null
    if (!row) return null
    const job = this.live.get(id)
    const stopped = !job?.running && (row.state === 'running' || row.state === 'needs-code')
    return {
      id,
      state: stopped ? 'interrupted' : row.state,
      oldService: row.oldService,
      oldIdentifier: row.oldIdentifier,
      newHandle: row.newHandle,
      did: row.did,
      message: row.message,
      progress: job?.progress ?? null,
      steps: job?.steps ?? [],
      codeProblem: job?.codeProblem ?? null,
      report: job?.report ?? null,
    }
  }

  /** The DID a finished move may sign its browser in as, the first time it asks; else null. */
  takeSignIn(id: string, browserToken: string | undefined): string | null {
    const row = browserToken ? this.owned(id, browserToken) : null
    if (!row || row.state !== 'done' || !row.did || row.signedIn) return null
    return this.deps.store.markSignedIn(id) ? row.did : null
  }

  /** Stops waiting jobs; running ones find the database closed and stop at their next step, as a kill would. */
  close(): void {
    this.closed = true
    for (const job of this.live.values()) job.abort(new Error('the server is shutting down'))
    this.live.clear()
  }

  private owned(id: string, browserToken: string): MoveInJobRow | null {
    const row = this.deps.store.get(id)
    return row && row.browserHash === hashBrowserToken(browserToken) ? row : null
  }

  private async signInToOld(identifier: string, given: string | undefined, password: string): Promise<{ service: string; old: AtpAgent }> {
    const { config, idResolver } = this.deps
    identifier = identifier.trim().replace(/^@/, '')
    if (!identifier) throw new MoveInRefused('Give the handle of the account you are moving.')
    let service = given?.trim()
    if (!service) {
      try {
        const did = identifier.startsWith('did:') ? identifier : await idResolver.handle.resolve(identifier.toLowerCase())
        if (!did) throw new Error(`the handle ${identifier} does not resolve`)
        service = (await idResolver.did.resolveAtprotoData(did)).pds
      } catch (err) {
        throw new MoveInRefused(`Could not find the server of ${identifier} (${(err as Error).message}): give its address.`)
      }
    }
    let origin: string
    try {
      origin = new URL(service).origin
    } catch {
      throw new MoveInRefused(`"${service}" is not a server address: give it like https://old-server.example.`)
    }
    const problem = endpointProblem(origin, { allowHttpLoopback: config.proxyAllowHttpLoopback })
    if (problem) throw new MoveInRefused(`The old server's address ${origin} ${problem}.`)
    if (origin === config.publicUrl) throw new MoveInRefused('That account is on this server already.')
    const old = new AtpAgent({ service: origin, fetch: withTimeout })
    try {
      await old.login({ identifier, password })
    } catch (err) {
      const e = err as { status?: number; error?: string; message: string }
      if (e.status === 401 || e.error === 'AuthenticationRequired') {
        throw new MoveInRefused(`The old server (${origin}) did not accept that handle and password: ${e.message}. Nothing was changed.`)
      }
      throw new MoveInRefused(`Could not sign in to the old server (${origin}): ${e.message}. Nothing was changed.`)
    }
    return { service: origin, old }
  }

  private run(id: string, old: AtpAgent, req: Omit<StartMoveIn, 'service'>): void {
    const { logger, store, accounts } = this.deps
    if (!this.selfFetch) throw new Error('MoveInJobs.serveThrough was never called')
    const did = old.session!.did
    let abortWait: (err: Error) => void = () => {}
    const job: LiveJob = { running: true, progress: null, steps: [], codeProblem: null, giveCode: null, report: null, abort: (err) => abortWait(err) }
    this.live.set(id, job)
    const here = new AtpAgent({ service: this.deps.config.publicUrl, fetch: this.selfFetch })
    const proven = () => store.get(id)?.did === did
    logger.info({ job: id, did, from: old.serviceUrl.origin }, 'move in: started from the web page')

    const waitForPlcToken = (problem?: string) =>
      new Promise<string>((resolve, reject) => {
        job.codeProblem = problem ?? null
        const timer = setTimeout(() => reject(new Error('No confirmation code came within 30 minutes; resume the move to get a new one')), CODE_WAIT_MS)
        const settle = () => {
          clearTimeout(timer)
          job.giveCode = null
          abortWait = () => {}
        }
        job.giveCode = (code) => {
          settle()
          if (!this.closed) store.setState(id, 'running')
          resolve(code)
        }
        abortWait = (err) => {
          settle()
          reject(err)
        }
        if (!this.closed) store.setState(id, 'needs-code', problem ?? null)
      })

    void (async () => {
      try {
        const report = await moveIn({
          old,
          here,
          newHandle: req.newHandle,
          inviteCode: async () => req.inviteCode,
          plcToken: req.plcToken,
          waitForPlcToken,
          signInHere: async (forDid) => {
            const account = accounts.get(forDid)
            if (!account) return false
            if (!proven()) await this.proveDid(old, forDid)
            if (!this.closed) store.setDid(id, forDid)
            const tokens = await this.deps.tokens.issue(forDid, null)
            here.sessionManager.session = { ...tokens, did: forDid, handle: account.handle, active: account.status === 'active' }
            return true
          },
          onAccountMade: (made) => {
            if (!this.closed) store.setDid(id, made)
          },
          onStep: (line) => job.steps.push(line),
          onProgress: (p) => (job.progress = p),
        })
        job.report = report
        if (this.closed) return
        store.setState(id, report.done ? 'done' : 'failed', report.done ? null : report.left.join(' '))
        logger.info({ job: id, did, records: report.records, blobs: report.blobs.expected, done: report.done }, 'move in: finished')
        // The old server's session is no longer needed; the deactivated account there stays readable.
        await old.logout().catch(() => {})
      } catch (err) {
        if (this.closed) return
        const message = (err as Error).message || String(err)
        store.setState(id, 'failed', message)
        logger.warn({ job: id, did, error: (err as { error?: string }).error, message }, 'move in: stopped')
      } finally {
        job.running = false
        job.giveCode = null
        if (this.live.get(id) === job) {
          // The finished job's last progress stays a while for the page; the old session does not.
          setTimeout(() => {
            if (this.live.get(id) === job) this.live.delete(id)
          }, CODE_WAIT_MS).unref()
        }
      }
    })()
  }

  /** The old server mints a service-auth token for the DID: it holds the DID's current key, so the person is its owner. */
  private async proveDid(old: AtpAgent, did: string): Promise<void> {
    let token: string
    try {
      token = (await old.com.atproto.server.getServiceAuth({ aud: this.deps.config.serviceDid, lxm: CREATE_ACCOUNT })).data.token
    } catch (err) {
      throw new Error(`An account for ${did} is here already, and the old server would not vouch for it (${(err as Error).message}): sign in to it here instead`)
    }
    const claims = await this.deps.serviceJwt.verify(token, CREATE_ACCOUNT)
    if (claims.iss !== did) throw new Error(`The old server vouched for ${claims.iss}, not ${did}`)
  }
}

function withTimeout(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  return fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(OLD_SERVER_TIMEOUT_MS) })
}

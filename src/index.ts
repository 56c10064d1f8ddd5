/**
 * Hearth's one public face: `createPds(options)` → a Pds to mount in a host
 * Hono app, with typed, in-process access to what the host needs (who is
 * signed in, the person's repository and scopes, accounts, events). The
 * wiring behind it (AppContext) is not part of this face.
 *
 * @example
 * const pds = await createPds({ dataDir: './data', publicUrl: 'https://notes.example', github: { clientId, clientSecret } })
 * host.use('*', pds.session())
 * host.route('/', pds.app)
 * nodeServer.on('upgrade', (req, socket, head) => pds.upgrade(req, socket, head) || socket.destroy())
 * // …and on shutdown:
 * await pds.close()
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Context, Hono, MiddlewareHandler } from 'hono'
import type { Config } from './config.js'
import { createContext, type ContextHooks } from './context.js'
import { buildApp } from './app.js'
import { buildControlApp } from './control/control-app.js'
import { startControlSocket, type ControlSocket } from './control/control-socket.js'
import { startSequencerTasks } from './sequencer/sequencer-tasks.js'
import { configFromOptions, type PdsOptions } from './embed/pds-options.js'
import { resolveBranding, type PageOptions } from './embed/page-options.js'
import { createHostSession, type PdsVariables, type SignedInAccount, type SignInUrlOptions } from './embed/host-session.js'
import { createRepoApi, type RepoApi } from './embed/repo-api.js'
import { createScopeApi, type ScopeApi } from './embed/scope-api.js'
import { createAccountsApi, type AccountsApi } from './embed/accounts-api.js'
import { HostEvents, type HostEventMap, type HostEventName } from './embed/host-events.js'
import { rememberContext } from './embed/internals.js'

export { loadConfig, ConfigError, type Config, type Registration } from './config.js'
export type { PdsOptions, OAuthClientOptions, RateLimitOptions } from './embed/pds-options.js'
export type { PageOptions } from './embed/page-options.js'
export type { PdsVariables, SignedInAccount, SignInUrlOptions } from './embed/host-session.js'
export type { RepoApi, RecordValue, CreateRecordInput, PutRecordInput, DeleteRecordInput, WriteOutcome, StoredRecord, RecordPage } from './embed/repo-api.js'
export type { ScopeApi, ScopeRecord } from './embed/scope-api.js'
export type { IngestResult } from './scope/scope-ingest.js'
export type { AccountsApi, HostAccount, NewHostAccount, IdentityToLink } from './embed/accounts-api.js'
export type { HostEventMap, HostEventName, CommitEvent, CommitEventOp, AccountEvent, IdentityEvent, AccountCreatedEvent } from './embed/host-events.js'
export {
  HearthError,
  InvalidRequest,
  InvalidRecord,
  InvalidSwap,
  RepoNotFound,
  RecordNotFound,
  AccountNotFound,
  BlobNotFound,
  RateLimitExceeded,
  type ErrorKind,
  type RateLimitState,
} from './errors/hearth-error.js'

export interface Pds {
  /** The Hono app serving XRPC, well-known routes and the web pages: `host.route('/', pds.app)`. */
  app: Hono
  /**
   * Hands a WebSocket upgrade (from the host's Node server 'upgrade' event) to
   * Hearth. Returns false when the path is not one of Hearth's sockets, so
   * the host can handle it itself.
   *
   * @example
   * server.on('upgrade', (req, socket, head) => { if (!pds.upgrade(req, socket, head)) socket.destroy() })
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean
  /**
   * Answers the hottest calls straight from the host's Node request, without
   * building web Request and Response objects or running them through Hono:
   * the public reads getRecord and listRecords, and the repository writes
   * (createRecord, putRecord, deleteRecord, applyWrites) with a session
   * token. The same answers, headers, limits, logs and metrics, at less of
   * the server's cost. Returns false, touching nothing, for every other
   * request: hand that one to `app`. Optional: `app` answers all of these
   * as well.
   *
   * @example
   * const server = http.createServer((req, res) => pds.lean(req, res) || honoListener(req, res))
   */
  lean(req: IncomingMessage, res: ServerResponse): boolean
  /**
   * Finishes writes in flight, closes sockets, the database and the embedded PLC.
   *
   * @example
   * process.on('SIGTERM', () => pds.close().then(() => process.exit(0)))
   */
  close(): Promise<void>
  /** Path of the control socket (admin, ingest, metrics), or null when it is off. */
  controlSocket: string | null
  /** This server as the world sees it. */
  info: { publicUrl: string; serviceDid: string; handleDomains: string[] }
  /**
   * Middleware for the host's routes: `c.var.hearth` is `{ did, handle }` of
   * whoever is signed in to Hearth's pages in this browser, or null.
   *
   * @example
   * const host = new Hono<{ Variables: PdsVariables }>()
   * host.use('*', pds.session())
   * host.get('/me', (c) => c.json(c.var.hearth))
   */
  session(): MiddlewareHandler<{ Variables: PdsVariables }>
  /**
   * Who is signed in on this request, without middleware.
   *
   * @example
   * const me = pds.signedIn(c)
   */
  signedIn(c: Context): SignedInAccount | null
  /**
   * Where to send a visitor to sign in and come back to `returnTo` (a path on the host).
   *
   * @example
   * return c.redirect(pds.signInUrl('/notes', { provider: 'github' }))
   */
  signInUrl(returnTo: string, opts?: SignInUrlOptions): string
  /**
   * Middleware: sends whoever is not signed in through sign-in and back; sets `c.var.hearth`.
   *
   * @example
   * host.get('/notes', pds.requireSignIn({ provider: 'github' }), (c) => c.text(c.var.hearth!.did))
   */
  requireSignIn(opts?: SignInUrlOptions): MiddlewareHandler<{ Variables: PdsVariables }>
  /**
   * The person's public repository, in-process (validated and committed exactly as over XRPC).
   *
   * @example
   * await pds.repo.createRecord(did, { collection: 'com.example.note', record: { $type: 'com.example.note', text } })
   */
  repo: RepoApi
  /**
   * The person's scopes (private data), in-process.
   *
   * @example
   * await pds.scopes.ingest(did, 'notes.drafts', { text: 'later' })
   */
  scopes: ScopeApi
  /**
   * Accounts made by the host, linked identities, look-ups.
   *
   * @example
   * const { did } = await pds.accounts.create({ handle: 'ada.notes.example' })
   */
  accounts: AccountsApi
  /**
   * Calls `handler` for each event after its transaction commits; returns the unsubscribe function.
   *
   * @example
   * pds.on('commit', (e) => e.ops.forEach((op) => console.log(op.uri)))
   * pds.on('accountCreated', ({ did }) => db.insertUser(did))
   */
  on<K extends HostEventName>(name: K, handler: (event: HostEventMap[K]) => void | Promise<void>): () => void
  /**
   * The same events as an async iterator (leave the loop to unsubscribe).
   *
   * @example
   * for await (const commit of pds.events('commit')) console.log(commit.seq)
   */
  events<K extends HostEventName>(name: K): AsyncIterableIterator<HostEventMap[K]>
}

/** Start-up hooks for `npm start` (start-up health); a host seldom needs them. */
export type CreatePdsOptions = ContextHooks

/**
 * Starts Hearth: opens (or makes) the data folder, runs migrations, starts
 * the embedded PLC directory unless `plcUrl` is set, and the control socket.
 * Takes typed options (checked as the environment is: a bad one throws a
 * ConfigError naming it) or a Config from `loadConfig(process.env)`.
 *
 * @example
 * const pds = await createPds({ dataDir: './data', publicUrl: 'http://localhost:3000', registration: 'open' })
 * const pds2 = await createPds(loadConfig(process.env))
 */
export async function createPds(options: PdsOptions | Config = {}, hooks: CreatePdsOptions = {}): Promise<Pds> {
  let config: Config
  let pages: PageOptions = {}
  if (isConfig(options)) config = options
  else ({ config, pages } = configFromOptions(options))
  const ctx = await createContext(config, hooks)
  const { app, upgrade, lean, closeSockets } = buildApp(ctx, { branding: resolveBranding(pages) })
  const sequencerTasks = startSequencerTasks(ctx)
  ctx.blobCollector.start(config.blobCollectIntervalSec * 1000)
  let control: ControlSocket | null = null
  if (!config.controlSocket) {
    ctx.logger.warn('control socket is off (HEARTH_CONTROL_SOCKET=off, or the default path in the data folder is too long for a Unix socket)')
  } else {
    try {
      const requestCrawl = () => {
        sequencerTasks.crawlRequester.requestNow()
        return config.crawlers
      }
      control = await startControlSocket(buildControlApp(ctx, { requestCrawl }), config.controlSocket)
    } catch (err) {
      await sequencerTasks.stop()
      await ctx.blobCollector.stop()
      ctx.blobStore.close()
      await ctx.walCheckpointer.stop()
      ctx.db.close()
      await ctx.embeddedPlc?.close()
      throw err
    }
  }
  const hostSession = createHostSession(ctx)
  const hostEvents = new HostEvents(ctx.eventLog, (did) => ctx.accounts.get(did)?.handle ?? null, ctx.logger)
  let closed = false
  const pds: Pds = {
    app,
    upgrade,
    lean,
    controlSocket: control?.path ?? null,
    info: { publicUrl: config.publicUrl, serviceDid: config.serviceDid, handleDomains: [...config.handleDomains] },
    session: hostSession.session,
    signedIn: hostSession.signedIn,
    signInUrl: hostSession.signInUrl,
    requireSignIn: hostSession.requireSignIn,
    repo: createRepoApi(ctx),
    scopes: createScopeApi(ctx),
    accounts: createAccountsApi(ctx),
    on: (name, handler) => hostEvents.on(name, handler),
    events: (name) => hostEvents.iterate(name),
    async close() {
      if (closed) return
      closed = true
      ctx.moves.moveIns.close()
      ctx.mailer?.close()
      await control?.close()
      await closeSockets()
      ctx.activity.close()
      await sequencerTasks.stop()
      await ctx.blobCollector.stop()
      await ctx.repoLock.drain()
      ctx.blobStore.close()
      hostEvents.close()
      ctx.metrics.close()
      await ctx.walCheckpointer.stop()
      ctx.db.close()
      await ctx.embeddedPlc?.close()
    },
  }
  rememberContext(pds, ctx)
  return pds
}

/** A Config from loadConfig has fields no option has. */
function isConfig(value: PdsOptions | Config): value is Config {
  return typeof value === 'object' && value !== null && 'serviceDid' in value && 'hostname' in value
}

/**
 * Wiring: every service built once, in dependency order, and handed to the
 * routes as one object. Nothing else constructs services.
 */
import path from 'node:path'
import fs from 'node:fs'
import type { Lexicons } from '@atproto/lexicon'
import { IdResolver } from '@atproto/identity'
import type { Config } from './config.js'
import { loadSecrets, type ServerSecrets } from './secrets.js'
import { openDatabase, type Db } from './db/open-database.js'
import { startWalCheckpointer, type WalCheckpointer } from './db/wal-checkpointer.js'
import { loadLexicons } from './lexicon/load-lexicons.js'
import { RecordValidator } from './lexicon/record-validator.js'
import { AccountStore } from './account/account-store.js'
import { AppPasswords } from './account/app-passwords.js'
import { AccountPreferences } from './account/preferences.js'
import { InviteCodes } from './account/invite-codes.js'
import { SigningKeyVault } from './account/signing-key-vault.js'
import { AccountService } from './account/account-service.js'
import { SessionTokens } from './auth/session-tokens.js'
import { RequestAuth } from './auth/request-auth.js'
import { ServiceJwtIssuer } from './auth/service-jwt-issuer.js'
import { ProxyTargets } from './proxy/proxy-targets.js'
import { ServiceProxy } from './proxy/service-proxy.js'
import { EventLog } from './sequencer/event-log.js'
import { FirehoseFanout } from './sequencer/firehose-fanout.js'
import { BlockTables } from './repo/sql-repo-storage.js'
import { RecordIndex, fillMissingBlockCids } from './repo/record-index.js'
import { RepoLock } from './repo/repo-lock.js'
import { RepoCommitter } from './repo/repo-committer.js'
import { RepoReader } from './repo/repo-reader.js'
import { RecordsSinceRev } from './repo/records-since-rev.js'
import { BlobIndex } from './blob/blob-index.js'
import type { BlobStore } from './blob/blob-store.js'
import { openBlobStore } from './blob/open-blob-store.js'
import { BlobService } from './blob/blob-service.js'
import { BlobCollector } from './blob/blob-collector.js'
import { BlobMetrics } from './blob/blob-metrics.js'
import { PlcDirectory } from './identity/plc-directory.js'
import type { EmbeddedPlc } from './identity/embedded-plc.js'
import { createLogger, type Logger } from './logger.js'
import { createMailer, type Mailer } from './mail/mailer.js'
import { HearthMetrics } from './observability/metrics.js'
import { RateLimits } from './ops/rate-limits.js'
import { createScopeServices, type ScopeServices } from './scope/scope-services.js'
import { OAuthServer } from './oauth/oauth-server.js'
import { createMoveServices, type MoveServices } from './move/move-services.js'
import { scopeBlobNamespace } from './scope/scope-blobs.js'
import { ActivityFeed } from './activity/activity-feed.js'

export interface AppContext {
  config: Config
  logger: Logger
  db: Db
  /** Runs WAL checkpoints on a worker thread; stop it before closing db. */
  walCheckpointer: WalCheckpointer
  secrets: ServerSecrets
  lexicons: Lexicons
  recordValidator: RecordValidator
  accounts: AccountStore
  appPasswords: AppPasswords
  /** app.bsky preferences kept for the account's clients. */
  preferences: AccountPreferences
  invites: InviteCodes
  vault: SigningKeyVault
  accountService: AccountService
  tokens: SessionTokens
  requestAuth: RequestAuth
  /** Mints inter-service JWTs signed with an account's key (proxying, getServiceAuth). */
  serviceJwts: ServiceJwtIssuer
  /** Which service a forwarded call goes to (atproto-proxy, default AppView and chat service). */
  proxyTargets: ProxyTargets
  /** Forwards calls to other services, streaming both ways. */
  serviceProxy: ServiceProxy
  eventLog: EventLog
  /** Hands every new event to the firehose's subscribers. */
  firehose: FirehoseFanout
  blockTables: BlockTables
  records: RecordIndex
  repoLock: RepoLock
  committer: RepoCommitter
  repoReader: RepoReader
  /** The account's records newer than a rev (read-after-write). */
  recordsSinceRev: RecordsSinceRev
  blobIndex: BlobIndex
  /** Where blob bytes live (data folder or S3): reach it through `blobs` unless moving bytes. */
  blobStore: BlobStore
  /** Uploading, reading, moving and removing blobs. */
  blobs: BlobService
  /** Deletes unreferenced blobs in the background (started by createPds). */
  blobCollector: BlobCollector
  plc: PlcDirectory
  idResolver: IdResolver
  /** Set when this server runs its own PLC directory. */
  embeddedPlc: EmbeddedPlc | null
  /** Prometheus metrics; the firehose reports into `metrics.firehose`. */
  metrics: HearthMetrics
  /** In-memory request budgets (src/ops/rate-limits.ts). */
  rateLimits: RateLimits
  /** Scopes and grants: ingest, grants, access requests, read log, inter-service JWTs. */
  scopes: ScopeServices
  /** The OAuth authorization server (PAR, tokens, app sessions) and the check of its access tokens. */
  oauth: OAuthServer
  /** Accounts moving in and out: importRepo, PLC operations and their codes, activation. */
  moves: MoveServices
  /** Each person's commits and scope reads as they happen (their activity page). */
  activity: ActivityFeed
  /** Outgoing mail, where HEARTH_SMTP_URL and HEARTH_EMAIL_FROM are set; else null. */
  mailer: Mailer | null
}

export interface ContextHooks {
  /** Called as soon as the database is open, before the slower start-up steps (start-up health). */
  onDatabaseOpen?: () => void
}

export async function createContext(config: Config, hooks: ContextHooks = {}): Promise<AppContext> {
  const logger = createLogger(config.logLevel)
  // Nothing in the data folder is for other users' eyes.
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 })
  fs.chmodSync(config.dataDir, 0o700)
  const secrets = loadSecrets(config)
  // Before the database opens: an unreachable bucket stops start-up with nothing left running.
  const blobStore = await openBlobStore(config)
  logger.info({ store: blobStore.description }, 'blob store')
  const db = openDatabase(path.join(config.dataDir, 'hearth.sqlite'), { synchronous: config.dbSynchronous, maxPageCount: config.dbMaxPageCount })
  fillMissingBlockCids(db)
  const walCheckpointer = startWalCheckpointer(db, { maxWalBytes: config.walMaxBytes })
  hooks.onDatabaseOpen?.()
  const lexicons = loadLexicons()

  let embeddedPlc: EmbeddedPlc | null = null
  let plcUrl = config.plcUrl
  if (!plcUrl) {
    // Loaded only when needed: the PLC server weighs ~50 MiB of memory.
    const { startEmbeddedPlc } = await import('./identity/embedded-plc.js')
    embeddedPlc = await startEmbeddedPlc({ dir: path.join(config.dataDir, 'plc') })
    plcUrl = embeddedPlc.url
    logger.info({ plcUrl }, 'embedded PLC directory listening')
  }
  const plc = await PlcDirectory.create(plcUrl, secrets.plcRotationKey)

  const accounts = new AccountStore(db)
  const vault = new SigningKeyVault(secrets.keyEncryptionKey)
  const eventLog = new EventLog(db)
  const metrics = new HearthMetrics()
  metrics.watchDatabase(db, eventLog, accounts)
  const blockTables = new BlockTables(db)
  const records = new RecordIndex(db)
  const blobIndex = new BlobIndex(db)
  const blobMetrics = new BlobMetrics(metrics.registry, () => (db.open ? blobIndex.countUnreferenced() : null))
  const blobs = new BlobService({
    index: blobIndex,
    store: blobStore,
    logger,
    metrics: blobMetrics,
    maxBytes: config.maxBlobBytes,
    idleTimeoutMs: config.blobUploadTimeoutSec * 1000,
    accountNamespaces: (did) => [did, scopeBlobNamespace(did)],
  })
  const blobCollector = new BlobCollector({
    index: blobIndex,
    store: blobStore,
    blobs,
    logger,
    metrics: blobMetrics,
    tempTtlSec: config.blobTempTtlSec,
    graceSec: config.blobGraceSec,
  })
  const repoLock = new RepoLock()
  const keypair = async (did: string) => {
    const account = accounts.get(did)
    if (!account) throw new Error(`no account ${did}`)
    return vault.keypair(did, account.signingKeyEnc)
  }
  const committer = new RepoCommitter({ tables: blockTables, records, blobs: blobIndex, eventLog, lock: repoLock, keypair, promoteBlobs: (did, cids) => blobs.promote(did, cids) })
  const invites = new InviteCodes(db, config.hostname)
  const tokens = new SessionTokens(db, secrets.jwtSecret, config.serviceDid, config.accessTokenTtlSec, config.refreshTokenTtlSec)
  // Refresh tokens of abandoned sessions: gone once they expire (cheap; once per start).
  tokens.pruneExpired()
  const appPasswords = new AppPasswords(db)
  const idResolver = new IdResolver({ plcUrl })
  const oauth = new OAuthServer({ config, db, secret: secrets.jwtSecret, accounts, lexicons, logger, plcUrl })
  const scopes = createScopeServices({ db, serviceDid: config.serviceDid, accounts, vault, committer, tables: blockTables, lexicons, idResolver, records, blobStore, lock: repoLock })
  const accountService = new AccountService({ config, accounts, invites, vault, plc, committer, eventLog, endOAuthSessions: (did) => oauth.endAllSessionsOf(did) })
  const requestAuth = new RequestAuth(tokens, accounts, appPasswords, scopes.serviceJwt)
  requestAuth.useOAuth(oauth)
  const serviceJwts = new ServiceJwtIssuer(keypair)

  return {
    config,
    logger,
    db,
    walCheckpointer,
    secrets,
    lexicons,
    recordValidator: new RecordValidator(lexicons),
    accounts,
    appPasswords,
    preferences: new AccountPreferences(db),
    invites,
    vault,
    accountService,
    tokens,
    requestAuth,
    serviceJwts,
    proxyTargets: new ProxyTargets(config, plcUrl),
    serviceProxy: new ServiceProxy({ serviceJwts, timeoutMs: config.proxyTimeoutMs, maxBodyBytes: config.maxBlobBytes, logger }),
    eventLog,
    firehose: new FirehoseFanout(eventLog, {
      maxBufferBytes: config.firehoseMaxBufferBytes,
      onError: (err) => logger.warn({ err }, 'firehose delivery failed'),
      metrics: metrics.firehose,
    }),
    blockTables,
    records,
    repoLock,
    committer,
    repoReader: new RepoReader(db, blockTables, records),
    recordsSinceRev: new RecordsSinceRev(db),
    blobIndex,
    blobStore,
    blobs,
    blobCollector,
    plc,
    idResolver,
    embeddedPlc,
    metrics,
    rateLimits: new RateLimits(config.rateLimits),
    scopes,
    oauth,
    moves: createMoveServices({
      config, db, logger, accounts, invites, vault, accountService, serviceJwt: scopes.serviceJwt, idResolver, eventLog, plc,
      tables: blockTables, records, blobs: blobIndex, lock: repoLock, committer, tokens,
    }),
    activity: new ActivityFeed(db, eventLog, scopes.readLog),
    mailer: createMailer(config.mail, logger),
  }
}

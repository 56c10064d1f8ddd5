/**
 * Configuration: the environment turned into one typed object. Every default
 * lives here, and every bad value stops start-up with the variable's name.
 *
 * @example
 * const config = loadConfig(process.env)
 * const pds = await createPds(config)
 */
import path from 'node:path'
import { ensureValidDid } from '@atproto/syntax'
import { endpointProblem } from './proxy/endpoint-policy.js'
import { checkPagePrefix } from './page-paths.js'

export type Registration = 'open' | 'invite' | 'closed'

export interface Config {
  /** TCP port of the public listener. */
  port: number
  /** Interface the standalone server binds to. */
  host: string
  /** Folder holding the database, blobs, secrets and the embedded PLC's log. */
  dataDir: string
  /** The URL the world reaches this server at (no trailing slash). */
  publicUrl: string
  /** Host name of publicUrl: used for did:web and as the default handle domain. */
  hostname: string
  /** This server's own DID (did:web of its host name), the `aud` of its tokens. */
  serviceDid: string
  /** Suffixes handles are made under, each starting with a dot (".test"). */
  handleDomains: string[]
  /** PLC directory; undefined means "run the embedded one on loopback". */
  plcUrl: string | undefined
  registration: Registration
  /** Secrets given in the environment; the missing ones are generated into dataDir. */
  secrets: {
    jwtSecret?: string
    keyEncryptionKey?: string
    plcRotationKey?: string
  }
  /** Largest JSON body accepted on XRPC procedures, in bytes. */
  maxJsonBodyBytes: number
  /** Largest blob accepted by uploadBlob, in bytes. */
  maxBlobBytes: number
  /** Where blob bytes live: the data folder, or an S3-compatible store when HEARTH_BLOB_S3_BUCKET is set. */
  blobStore: BlobStoreConfig
  /** An upload no record references within this many seconds is deleted. */
  blobTempTtlSec: number
  /** A blob whose last referencing record went away is deleted this many seconds later. */
  blobGraceSec: number
  /** An upload whose body makes no progress for this many seconds is abandoned (408). */
  blobUploadTimeoutSec: number
  /** Seconds between two runs of the blob collector. */
  blobCollectIntervalSec: number
  /** Largest body accepted by dev.hearth.scope.ingest, in bytes (one batch, one commit). */
  maxIngestBytes: number
  /** Largest repository CAR accepted by com.atproto.repo.importRepo, in bytes (its blocks are held in memory while verified). */
  maxImportBytes: number
  /** SQLite `synchronous` level: NORMAL survives process crashes, FULL also power loss. */
  dbSynchronous: 'NORMAL' | 'FULL'
  /** Past this size the write-ahead log is checkpointed and cut back (HEARTH_WAL_MAX_BYTES). */
  walMaxBytes: number
  /**
   * Test-only (no variable): SQLite `max_page_count`, to make a small
   * database that fills up (disk-full tests).
   */
  dbMaxPageCount?: number
  /** Check every XRPC output against its lexicon (tests turn this on). */
  validateOutput: boolean
  /** GitHub sign-in, on when HEARTH_GITHUB_CLIENT_ID and _SECRET are both set. */
  github: OAuthClientConfig | undefined
  /** Google sign-in, on when HEARTH_GOOGLE_CLIENT_ID and _SECRET are both set. */
  google: OAuthClientConfig | undefined
  /** How long a started GitHub/Google sign-in may take before its state expires. */
  signInStateTtlSec: number
  /** Lifetime of a web-page session (the sign-in cookie). */
  webSessionTtlSec: number
  /** Log level for pino ('silent' to mute). */
  logLevel: string
  accessTokenTtlSec: number
  refreshTokenTtlSec: number
  /** Firehose events older than this many hours are pruned; a cursor older than that gets OutdatedCursor. */
  firehoseRetentionHours: number
  /** Bytes a firehose subscriber may have waiting to be sent before it is cut off with ConsumerTooSlow. */
  firehoseMaxBufferBytes: number
  /** Seconds between keepalive pings on firehose sockets; a socket that missed the last pong is closed. */
  firehosePingSec: number
  /** Relays (origins) sent com.atproto.sync.requestCrawl at start and when accounts are created. */
  crawlers: string[]
  /** OAuth client ids (metadata URLs) of first-party frontends: they get a session without the consent screen. */
  oauthTrustedClients: string[]
  /**
   * HEARTH_OAUTH_FETCH_PRIVATE_HOSTS=true lets Hearth fetch OAuth client
   * metadata, client keys and permission-set records from loopback and
   * private addresses, over the plain fetch (tests, a private network). Off:
   * public addresses only, over https.
   */
  oauthFetchPrivateHosts: boolean
  /** Least number of seconds between two requestCrawl calls to the crawlers. */
  crawlIntervalSec: number
  /** Unix socket of the control app (admin, ingest, metrics); null when HEARTH_CONTROL_SOCKET=off. */
  controlSocket: string | null
  /** Largest ingest body accepted on the control socket, in bytes. */
  controlIngestMaxBytes: number
  /** Also serve GET /metrics on the public port (it is always on the control socket). */
  metricsPublic: boolean
  /** Take the client address from X-Forwarded-For (only behind a proxy that sets it). */
  trustProxy: boolean
  /** How long SIGTERM/SIGINT may take before the process stops waiting and exits 1. */
  shutdownTimeoutMs: number
  rateLimits: RateLimitConfig
  /** The AppView app.bsky.* calls go to without an atproto-proxy header (HEARTH_APPVIEW_URL + _DID). */
  appView: ServiceConfig | undefined
  /** The chat service chat.bsky.* calls go to without an atproto-proxy header (HEARTH_CHAT_URL + _DID). */
  chat: ServiceConfig | undefined
  /** How long a proxied call may wait for the service's answer (and between two chunks of it). */
  proxyTimeoutMs: number
  /** Loopback development: allow proxying to http://localhost-style endpoints. */
  proxyAllowHttpLoopback: boolean
  /** What the pages call this server (HEARTH_SERVER_NAME), shown in every page's top bar and on the front door. */
  serverName: string
  /** A sentence or two for the front door about who runs this server and for whom (HEARTH_SERVER_DESCRIPTION). */
  serverDescription: string
  /** Serve the front door at `/`; a host app that mounts Hearth and keeps its own `/` turns it off. */
  frontPage: boolean
  /** Where the person-facing pages are mounted (HEARTH_PAGES_PREFIX, '' = the root); see src/page-paths.ts. */
  pagesPrefix: string
  /** Offer sign-in with a handle and password on the pages (HEARTH_PASSWORD_SIGN_IN); XRPC createSession is not affected. */
  passwordSignIn: boolean
  /** Where this server publishes its notes for app developers (the README's section), linked from the front door. */
  developerDocsUrl: string | undefined
  /** Outgoing mail (HEARTH_SMTP_URL + HEARTH_EMAIL_FROM), both or neither; unset: Hearth sends no mail. */
  mail: MailConfig | undefined
}

export interface MailConfig {
  /** smtp:// or smtps:// URL, credentials included if the server wants a login (never logged). */
  smtpUrl: string
  /** The From of every message: `address@host` or `Name <address@host>`. */
  from: string
}

/** A service calls are forwarded to: its endpoint and its DID (the `aud` of the tokens sent to it). */
export interface ServiceConfig {
  url: string
  did: string
}

export type BlobStoreConfig =
  | { kind: 'disk' }
  | {
      kind: 's3'
      /** Unset: AWS's own endpoint for the region. */
      endpoint: string | undefined
      bucket: string
      region: string
      /** Unset: the SDK's default credential chain (environment, instance role, …). */
      accessKeyId: string | undefined
      secretAccessKey: string | undefined
      /** `bucket` in the path rather than the host name (most self-hosted stores need it). */
      forcePathStyle: boolean
    }

/** Request budgets, kept in memory. Windows: session and sign-in limits per 5 minutes, writes per hour and per day. */
export interface RateLimitConfig {
  /** HEARTH_RATE_LIMITS=off turns every limit off (benchmarks, test rigs). */
  enabled: boolean
  /** Write points per account (create 3, update 2, delete 1). */
  writePointsPerHour: number
  writePointsPerDay: number
  /** Write points per client address. */
  ipWritePointsPerHour: number
  /** createSession + refreshSession calls per client address. */
  sessionsPerIp: number
  /** Web sign-in starts (GET /auth/<provider>, POST /sign-in/password, linking) per client address per 5 minutes. */
  webSignInsPerIp: number
  /** Any other request outside /xrpc (pages, forms, well-known) per client address per 5 minutes. */
  webRequestsPerIp: number
  /** OAuth requests (PAR, token, revoke, the authorization page) per client address per 5 minutes. */
  oauthRequestsPerIp: number
  /** createSession + refreshSession calls per account. */
  sessionsPerAccount: number
  /** Failed password sign-ins per identifier. */
  signInFailures: number
  /** Write points per account for ingest through the control socket. */
  ingestPointsPerHour: number
}

/** An OAuth client registered with a sign-in provider. */
export interface OAuthClientConfig {
  clientId: string
  clientSecret: string
}

type Env = Record<string, string | undefined>

export class ConfigError extends Error {
  constructor(
    /** The environment variable (or, from createPds, the option) that is wrong. */
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`${variable}: ${problem}`)
    this.name = 'ConfigError'
  }
}

/** Reads the environment into a Config; `overrides` win over the environment. */
export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const port = intVar(env, 'HEARTH_PORT', 2583, 0, 65535)
  const publicUrl = urlVar(env, 'HEARTH_PUBLIC_URL', `http://localhost:${port}`)
  const hostname = new URL(publicUrl).hostname
  const urlHost = new URL(publicUrl).host
  const config: Config = {
    port,
    host: env.HEARTH_HOST || '0.0.0.0',
    dataDir: path.resolve(env.HEARTH_DATA_DIR || './data'),
    publicUrl,
    hostname,
    serviceDid: `did:web:${encodeURIComponent(urlHost)}`,
    handleDomains: handleDomainsVar(env, hostname),
    plcUrl: env.HEARTH_PLC_URL ? urlVar(env, 'HEARTH_PLC_URL', '') : undefined,
    registration: enumVar(env, 'HEARTH_REGISTRATION', ['open', 'invite', 'closed'], 'invite'),
    secrets: {
      jwtSecret: secretVar(env, 'HEARTH_JWT_SECRET', 32),
      keyEncryptionKey: hexKeyVar(env, 'HEARTH_KEY_ENCRYPTION_KEY'),
      plcRotationKey: secp256k1KeyVar(env, 'HEARTH_PLC_ROTATION_KEY'),
    },
    maxJsonBodyBytes: intVar(env, 'HEARTH_MAX_JSON_BYTES', 1024 * 1024, 1024, 1 << 30),
    maxBlobBytes: intVar(env, 'HEARTH_MAX_BLOB_BYTES', 50 * 1024 * 1024, 1024, 2 ** 32),
    blobStore: blobStoreVar(env),
    blobTempTtlSec: intVar(env, 'HEARTH_BLOB_TEMP_TTL', 3600, 1, 30 * 24 * 3600),
    blobGraceSec: intVar(env, 'HEARTH_BLOB_GRACE', 3600, 0, 365 * 24 * 3600),
    blobUploadTimeoutSec: intVar(env, 'HEARTH_BLOB_UPLOAD_TIMEOUT', 30, 1, 3600),
    blobCollectIntervalSec: intVar(env, 'HEARTH_BLOB_COLLECT_INTERVAL', 300, 1, 24 * 3600),
    maxIngestBytes: intVar(env, 'HEARTH_MAX_INGEST_BYTES', 50 * 1024 * 1024, 1024, 1 << 30),
    maxImportBytes: intVar(env, 'HEARTH_MAX_IMPORT_BYTES', 256 * 1024 * 1024, 1024, 2 ** 32),
    dbSynchronous: enumVar(env, 'HEARTH_DB_SYNC', ['NORMAL', 'FULL'], 'NORMAL'),
    walMaxBytes: intVar(env, 'HEARTH_WAL_MAX_BYTES', 64 * 1024 * 1024, 64 * 1024, 2 ** 40),
    validateOutput: boolVar(env, 'HEARTH_VALIDATE_OUTPUT', false),
    github: oauthClientVar(env, 'HEARTH_GITHUB_CLIENT_ID', 'HEARTH_GITHUB_CLIENT_SECRET'),
    google: oauthClientVar(env, 'HEARTH_GOOGLE_CLIENT_ID', 'HEARTH_GOOGLE_CLIENT_SECRET'),
    signInStateTtlSec: intVar(env, 'HEARTH_SIGN_IN_STATE_TTL', 10 * 60, 1, 3600),
    webSessionTtlSec: intVar(env, 'HEARTH_WEB_SESSION_TTL', 30 * 24 * 60 * 60, 60, 365 * 24 * 3600),
    // pino throws on an unknown level, far from here and without the variable's name.
    logLevel: enumVar(env, 'HEARTH_LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    accessTokenTtlSec: intVar(env, 'HEARTH_ACCESS_TTL', 2 * 60 * 60, 10, 7 * 24 * 3600),
    refreshTokenTtlSec: intVar(env, 'HEARTH_REFRESH_TTL', 90 * 24 * 60 * 60, 60, 365 * 24 * 3600),
    firehoseRetentionHours: intVar(env, 'HEARTH_FIREHOSE_RETENTION_HOURS', 72, 1, 24 * 3650),
    firehoseMaxBufferBytes: intVar(env, 'HEARTH_FIREHOSE_MAX_BUFFER_BYTES', 8 * 1024 * 1024, 64 * 1024, 1 << 30),
    firehosePingSec: intVar(env, 'HEARTH_FIREHOSE_PING_SEC', 30, 1, 3600),
    crawlers: crawlersVar(env),
    oauthTrustedClients: trustedClientsVar(env),
    oauthFetchPrivateHosts: boolVar(env, 'HEARTH_OAUTH_FETCH_PRIVATE_HOSTS', false),
    crawlIntervalSec: intVar(env, 'HEARTH_CRAWL_INTERVAL_SEC', 20 * 60, 1, 7 * 24 * 3600),
    controlSocket: controlSocketVar(env),
    controlIngestMaxBytes: intVar(env, 'HEARTH_CONTROL_INGEST_MAX_BYTES', 50 * 1024 * 1024, 1024, 1 << 30),
    metricsPublic: boolVar(env, 'HEARTH_METRICS_PUBLIC', false),
    trustProxy: boolVar(env, 'HEARTH_TRUST_PROXY', false),
    shutdownTimeoutMs: intVar(env, 'HEARTH_SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    rateLimits: {
      enabled: boolVar(env, 'HEARTH_RATE_LIMITS', true),
      writePointsPerHour: intVar(env, 'HEARTH_RATE_WRITE_POINTS_HOUR', 5000, 1, 1e9),
      writePointsPerDay: intVar(env, 'HEARTH_RATE_WRITE_POINTS_DAY', 35000, 1, 1e9),
      ipWritePointsPerHour: intVar(env, 'HEARTH_RATE_IP_WRITE_POINTS_HOUR', 15000, 1, 1e9),
      sessionsPerIp: intVar(env, 'HEARTH_RATE_SESSIONS_PER_IP', 300, 1, 1e9),
      webSignInsPerIp: intVar(env, 'HEARTH_RATE_WEB_SIGNINS_PER_IP', 100, 1, 1e9),
      webRequestsPerIp: intVar(env, 'HEARTH_RATE_WEB_REQUESTS_PER_IP', 3000, 1, 1e9),
      oauthRequestsPerIp: intVar(env, 'HEARTH_RATE_OAUTH_PER_IP', 300, 1, 1e9),
      sessionsPerAccount: intVar(env, 'HEARTH_RATE_SESSIONS_PER_ACCOUNT', 100, 1, 1e9),
      signInFailures: intVar(env, 'HEARTH_RATE_SIGNIN_FAILURES', 30, 1, 1e9),
      ingestPointsPerHour: intVar(env, 'HEARTH_RATE_INGEST_POINTS_HOUR', 3_000_000, 1, 1e12),
    },
    appView: serviceVar(env, 'HEARTH_APPVIEW_URL', 'HEARTH_APPVIEW_DID'),
    chat: serviceVar(env, 'HEARTH_CHAT_URL', 'HEARTH_CHAT_DID'),
    proxyTimeoutMs: intVar(env, 'HEARTH_PROXY_TIMEOUT_MS', 30_000, 100, 600_000),
    proxyAllowHttpLoopback: boolVar(env, 'HEARTH_PROXY_ALLOW_HTTP_LOOPBACK', false),
    serverName: (env.HEARTH_SERVER_NAME ?? '').trim().slice(0, 80) || 'Hearth',
    serverDescription: (env.HEARTH_SERVER_DESCRIPTION ?? '').trim().slice(0, 1000),
    frontPage: boolVar(env, 'HEARTH_FRONT_PAGE', true),
    pagesPrefix: checkPagePrefix((env.HEARTH_PAGES_PREFIX ?? '').trim()),
    passwordSignIn: boolVar(env, 'HEARTH_PASSWORD_SIGN_IN', true),
    developerDocsUrl: env.HEARTH_DEVELOPER_DOCS_URL ? urlVar(env, 'HEARTH_DEVELOPER_DOCS_URL', '') : undefined,
    mail: mailVar(env),
  }
  const merged = { ...config, ...overrides }
  // The default socket lives in the data folder: follow an overridden dataDir.
  if (overrides.dataDir && overrides.controlSocket === undefined && !env.HEARTH_CONTROL_SOCKET) {
    const file = path.join(merged.dataDir, 'control.sock')
    merged.controlSocket = Buffer.byteLength(file) > 100 ? null : file
  }
  return merged
}

function intVar(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return def
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got "${raw}"`)
  const n = Number(raw)
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`)
  return n
}

function blobStoreVar(env: Env): BlobStoreConfig {
  const bucket = env.HEARTH_BLOB_S3_BUCKET
  const s3Vars = ['ENDPOINT', 'REGION', 'ACCESS_KEY_ID', 'SECRET_ACCESS_KEY', 'FORCE_PATH_STYLE'].map((v) => `HEARTH_BLOB_S3_${v}`)
  if (!bucket) {
    const stray = s3Vars.find((v) => env[v])
    if (stray) throw new ConfigError('HEARTH_BLOB_S3_BUCKET', `must be set when ${stray} is (the S3 store is used only with a bucket)`)
    return { kind: 'disk' }
  }
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new ConfigError('HEARTH_BLOB_S3_BUCKET', `"${bucket}" is not a valid bucket name`)
  const accessKeyId = env.HEARTH_BLOB_S3_ACCESS_KEY_ID || undefined
  const secretAccessKey = env.HEARTH_BLOB_S3_SECRET_ACCESS_KEY || undefined
  if (!accessKeyId !== !secretAccessKey) {
    throw new ConfigError(accessKeyId ? 'HEARTH_BLOB_S3_SECRET_ACCESS_KEY' : 'HEARTH_BLOB_S3_ACCESS_KEY_ID', 'the access key id and secret go together')
  }
  const endpoint = env.HEARTH_BLOB_S3_ENDPOINT ? urlVar(env, 'HEARTH_BLOB_S3_ENDPOINT', '') : undefined
  return {
    kind: 's3',
    endpoint,
    bucket,
    region: env.HEARTH_BLOB_S3_REGION || 'us-east-1',
    accessKeyId,
    secretAccessKey,
    forcePathStyle: boolVar(env, 'HEARTH_BLOB_S3_FORCE_PATH_STYLE', endpoint !== undefined),
  }
}

function controlSocketVar(env: Env): string | null {
  const raw = env.HEARTH_CONTROL_SOCKET
  if (raw === 'off') return null
  const file = raw ? path.resolve(raw) : path.join(path.resolve(env.HEARTH_DATA_DIR || './data'), 'control.sock')
  // sun_path holds 108 bytes on Linux, 104 on macOS. A too-long default turns the
  // socket off (start-up logs it) rather than stopping a server with nothing configured.
  if (Buffer.byteLength(file) > 100) {
    if (!raw) return null
    throw new ConfigError('HEARTH_CONTROL_SOCKET', `socket path is too long for a Unix socket (${file}); set a shorter path or "off"`)
  }
  return file
}

function crawlersVar(env: Env): string[] {
  const raw = env.HEARTH_CRAWLERS
  if (!raw) return []
  return raw
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean)
    .map((u) => urlVar({ HEARTH_CRAWLERS: u }, 'HEARTH_CRAWLERS', ''))
}

function trustedClientsVar(env: Env): string[] {
  const raw = env.HEARTH_OAUTH_TRUSTED_CLIENTS
  if (!raw) return []
  return raw
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean)
    .map((u) => {
      if (!/^https:\/\/[^/]+\/./.test(u) && !u.startsWith('http://localhost')) {
        throw new ConfigError('HEARTH_OAUTH_TRUSTED_CLIENTS', `"${u}" is not an OAuth client id (the https URL of a client metadata document)`)
      }
      return u
    })
}

function boolVar(env: Env, name: string, def: boolean): boolean {
  const raw = env[name]
  if (raw === undefined || raw === '') return def
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true
  if (['0', 'false', 'no', 'off'].includes(raw)) return false
  throw new ConfigError(name, `expected true or false, got "${raw}"`)
}

function enumVar<T extends string>(env: Env, name: string, allowed: readonly T[], def: T): T {
  const raw = env[name]
  if (raw === undefined || raw === '') return def
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got "${raw}"`)
  }
  return raw as T
}

function urlVar(env: Env, name: string, def: string): string {
  const raw = env[name]
  if (raw === undefined || raw === '') return def
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(name, `not a URL: "${raw}"`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(name, `must be an http(s) URL, got "${raw}"`)
  }
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new ConfigError(name, `must be an origin without a path, got "${raw}"`)
  }
  return url.origin
}

function handleDomainsVar(env: Env, hostname: string): string[] {
  const raw = env.HEARTH_HANDLE_DOMAIN
  // "localhost" is not a valid handle suffix (one label), so the default is .test.
  const list = raw ? raw.split(',').map((d) => d.trim()) : [hostname.includes('.') && !/^[\d.]+$/.test(hostname) ? `.${hostname}` : '.test']
  for (const d of list) {
    if (!/^\.([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(d)) {
      throw new ConfigError('HEARTH_HANDLE_DOMAIN', `"${d}" must look like ".example.com" (lowercase, leading dot)`)
    }
  }
  return list
}

function secretVar(env: Env, name: string, minLength: number): string | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined
  if (raw.length < minLength) throw new ConfigError(name, `must be at least ${minLength} characters`)
  return raw
}

function hexKeyVar(env: Env, name: string): string | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined
  if (!/^[0-9a-f]{64}$/i.test(raw)) throw new ConfigError(name, 'must be 64 hex characters (32 bytes)')
  return raw.toLowerCase()
}

/** The order of secp256k1's group: a private key is a number in [1, n - 1]. */
const SECP256K1_ORDER = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141')

/** 32 bytes in hex that are a valid secp256k1 private key (else the PLC signer fails later, unnamed). */
function secp256k1KeyVar(env: Env, name: string): string | undefined {
  const hex = hexKeyVar(env, name)
  if (hex === undefined) return undefined
  const n = BigInt(`0x${hex}`)
  if (n === 0n || n >= SECP256K1_ORDER) throw new ConfigError(name, 'is not a valid secp256k1 private key (0 < key < curve order)')
  return hex
}

/** Both halves of a provider's client registration, or neither. */
function oauthClientVar(env: Env, idName: string, secretName: string): OAuthClientConfig | undefined {
  const clientId = env[idName]?.trim()
  const clientSecret = env[secretName]?.trim()
  if (!clientId && !clientSecret) return undefined
  if (!clientId) throw new ConfigError(idName, `must be set when ${secretName} is`)
  if (!clientSecret) throw new ConfigError(secretName, `must be set when ${idName} is`)
  return { clientId, clientSecret }
}

/** The SMTP server and the From address, both or neither; the URL is not echoed (it may hold a password). */
function mailVar(env: Env): MailConfig | undefined {
  const smtpUrl = env.HEARTH_SMTP_URL?.trim()
  const from = env.HEARTH_EMAIL_FROM?.trim()
  if (!smtpUrl && !from) return undefined
  if (!smtpUrl) throw new ConfigError('HEARTH_SMTP_URL', 'must be set when HEARTH_EMAIL_FROM is (smtp://user:password@host:587 or smtps://…)')
  if (!from) throw new ConfigError('HEARTH_EMAIL_FROM', 'must be set when HEARTH_SMTP_URL is (noreply@example.com, or "Name <noreply@example.com>")')
  let url: URL
  try {
    url = new URL(smtpUrl)
  } catch {
    throw new ConfigError('HEARTH_SMTP_URL', 'is not a URL: give it like smtp://user:password@host:587 or smtps://host:465')
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new ConfigError('HEARTH_SMTP_URL', `must start with smtp:// or smtps://, not ${url.protocol}//`)
  if (!url.hostname) throw new ConfigError('HEARTH_SMTP_URL', 'names no host')
  if (!/^(?:[^<>@\s]+@[^<>@\s]+\.[^<>@\s]+|[^<>]*<[^<>@\s]+@[^<>@\s]+\.[^<>@\s]+>)$/.test(from)) {
    throw new ConfigError('HEARTH_EMAIL_FROM', `"${from}" is not an address (noreply@example.com, or "Name <noreply@example.com>")`)
  }
  return { smtpUrl, from }
}

/** A service's URL and DID, both or neither; the URL must be one the proxy may call. */
function serviceVar(env: Env, urlName: string, didName: string): ServiceConfig | undefined {
  const rawUrl = env[urlName]?.trim()
  const did = env[didName]?.trim()
  if (!rawUrl && !did) return undefined
  if (!rawUrl) throw new ConfigError(urlName, `must be set when ${didName} is`)
  if (!did) throw new ConfigError(didName, `must be set when ${urlName} is (the service's DID, e.g. did:web:api.bsky.app)`)
  const url = urlVar({ [urlName]: rawUrl }, urlName, '')
  const problem = endpointProblem(url, { allowHttpLoopback: boolVar(env, 'HEARTH_PROXY_ALLOW_HTTP_LOOPBACK', false) })
  if (problem) throw new ConfigError(urlName, `${url} ${problem}`)
  if (did.includes('#')) throw new ConfigError(didName, `give the DID without a #service fragment: "${did}"`)
  try {
    ensureValidDid(did)
  } catch {
    throw new ConfigError(didName, `not a DID: "${did}"`)
  }
  return { url, did }
}

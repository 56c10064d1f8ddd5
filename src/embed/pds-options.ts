/**
 * createPds's options: the same settings as the HEARTH_* environment, as a
 * typed object. They go through loadConfig itself (each option becomes its
 * variable), so defaults and checks are the environment's, one set of rules;
 * a bad value throws a ConfigError naming the option, not the variable.
 *
 * @example
 * const config = configFromOptions({ dataDir: './data', publicUrl: 'https://notes.example', registration: 'open' })
 */
import { ConfigError, loadConfig, type Config, type Registration } from '../config.js'
import { checkPageOptions, type PageOptions } from './page-options.js'

export interface OAuthClientOptions {
  clientId: string
  clientSecret: string
}

export interface RateLimitOptions {
  writePointsPerHour?: number
  writePointsPerDay?: number
  ipWritePointsPerHour?: number
  sessionsPerIp?: number
  sessionsPerAccount?: number
  signInFailures?: number
  ingestPointsPerHour?: number
}

/** Every setting is optional; each defaults as its HEARTH_* variable does (README, Configuration). */
export interface PdsOptions {
  /** Database, blobs, generated secrets, embedded PLC log (HEARTH_DATA_DIR, `./data`). */
  dataDir?: string
  /** The origin the world reaches the host at (HEARTH_PUBLIC_URL). */
  publicUrl?: string
  /** Port of the host's listener, for the default publicUrl (HEARTH_PORT). */
  port?: number
  /** Interface the standalone server binds to (HEARTH_HOST); a host binds its own. */
  host?: string
  /** Handle suffixes, each with a leading dot (HEARTH_HANDLE_DOMAIN). */
  handleDomain?: string | string[]
  /** PLC directory; unset runs an embedded one on loopback (HEARTH_PLC_URL). */
  plcUrl?: string
  registration?: Registration
  /** GitHub sign-in; leave out to offer none (HEARTH_GITHUB_CLIENT_ID/_SECRET). */
  github?: OAuthClientOptions
  /** Google sign-in; leave out to offer none (HEARTH_GOOGLE_CLIENT_ID/_SECRET). */
  google?: OAuthClientOptions
  signInStateTtlSec?: number
  webSessionTtlSec?: number
  secrets?: { jwtSecret?: string; keyEncryptionKey?: string; plcRotationKey?: string }
  maxJsonBodyBytes?: number
  maxBlobBytes?: number
  maxIngestBytes?: number
  dbSynchronous?: 'NORMAL' | 'FULL'
  accessTokenTtlSec?: number
  refreshTokenTtlSec?: number
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  validateOutput?: boolean
  firehoseRetentionHours?: number
  firehoseMaxBufferBytes?: number
  firehosePingSec?: number
  crawlers?: string[]
  crawlIntervalSec?: number
  /** Path of the control socket, or false for none (HEARTH_CONTROL_SOCKET). */
  controlSocket?: string | false
  controlIngestMaxBytes?: number
  metricsPublic?: boolean
  trustProxy?: boolean
  shutdownTimeoutMs?: number
  /** false turns every rate limit off; an object changes budgets. */
  rateLimits?: boolean | RateLimitOptions
  /** Hearth's web pages inside the host: front page, name, logo, colours, path prefix. */
  pages?: PageOptions
}

type Kind = 'string' | 'number' | 'boolean'

/** option → [variable, type]. A Map: option names come from the host's object. */
const SIMPLE = new Map<string, [string, Kind]>([
  ['dataDir', ['HEARTH_DATA_DIR', 'string']],
  ['publicUrl', ['HEARTH_PUBLIC_URL', 'string']],
  ['port', ['HEARTH_PORT', 'number']],
  ['host', ['HEARTH_HOST', 'string']],
  ['plcUrl', ['HEARTH_PLC_URL', 'string']],
  ['registration', ['HEARTH_REGISTRATION', 'string']],
  ['signInStateTtlSec', ['HEARTH_SIGN_IN_STATE_TTL', 'number']],
  ['webSessionTtlSec', ['HEARTH_WEB_SESSION_TTL', 'number']],
  ['maxJsonBodyBytes', ['HEARTH_MAX_JSON_BYTES', 'number']],
  ['maxBlobBytes', ['HEARTH_MAX_BLOB_BYTES', 'number']],
  ['maxIngestBytes', ['HEARTH_MAX_INGEST_BYTES', 'number']],
  ['dbSynchronous', ['HEARTH_DB_SYNC', 'string']],
  ['accessTokenTtlSec', ['HEARTH_ACCESS_TTL', 'number']],
  ['refreshTokenTtlSec', ['HEARTH_REFRESH_TTL', 'number']],
  ['logLevel', ['HEARTH_LOG_LEVEL', 'string']],
  ['validateOutput', ['HEARTH_VALIDATE_OUTPUT', 'boolean']],
  ['firehoseRetentionHours', ['HEARTH_FIREHOSE_RETENTION_HOURS', 'number']],
  ['firehoseMaxBufferBytes', ['HEARTH_FIREHOSE_MAX_BUFFER_BYTES', 'number']],
  ['firehosePingSec', ['HEARTH_FIREHOSE_PING_SEC', 'number']],
  ['crawlIntervalSec', ['HEARTH_CRAWL_INTERVAL_SEC', 'number']],
  ['controlIngestMaxBytes', ['HEARTH_CONTROL_INGEST_MAX_BYTES', 'number']],
  ['metricsPublic', ['HEARTH_METRICS_PUBLIC', 'boolean']],
  ['trustProxy', ['HEARTH_TRUST_PROXY', 'boolean']],
  ['shutdownTimeoutMs', ['HEARTH_SHUTDOWN_TIMEOUT_MS', 'number']],
])

const NESTED = new Map<string, Map<string, string>>([
  ['github', new Map([['clientId', 'HEARTH_GITHUB_CLIENT_ID'], ['clientSecret', 'HEARTH_GITHUB_CLIENT_SECRET']])],
  ['google', new Map([['clientId', 'HEARTH_GOOGLE_CLIENT_ID'], ['clientSecret', 'HEARTH_GOOGLE_CLIENT_SECRET']])],
  [
    'secrets',
    new Map([
      ['jwtSecret', 'HEARTH_JWT_SECRET'],
      ['keyEncryptionKey', 'HEARTH_KEY_ENCRYPTION_KEY'],
      ['plcRotationKey', 'HEARTH_PLC_ROTATION_KEY'],
    ]),
  ],
  [
    'rateLimits',
    new Map([
      ['writePointsPerHour', 'HEARTH_RATE_WRITE_POINTS_HOUR'],
      ['writePointsPerDay', 'HEARTH_RATE_WRITE_POINTS_DAY'],
      ['ipWritePointsPerHour', 'HEARTH_RATE_IP_WRITE_POINTS_HOUR'],
      ['sessionsPerIp', 'HEARTH_RATE_SESSIONS_PER_IP'],
      ['sessionsPerAccount', 'HEARTH_RATE_SESSIONS_PER_ACCOUNT'],
      ['signInFailures', 'HEARTH_RATE_SIGNIN_FAILURES'],
      ['ingestPointsPerHour', 'HEARTH_RATE_INGEST_POINTS_HOUR'],
    ]),
  ],
])

const OTHER = new Set(['handleDomain', 'crawlers', 'controlSocket', 'pages'])

/** variable → option, to name the option in loadConfig's refusals. */
const OPTION_OF = new Map<string, string>([
  ...[...SIMPLE].map(([option, [variable]]) => [variable, option] as [string, string]),
  ...[...NESTED].flatMap(([option, fields]) => [...fields].map(([field, variable]) => [variable, `${option}.${field}`] as [string, string])),
  ['HEARTH_HANDLE_DOMAIN', 'handleDomain'],
  ['HEARTH_CRAWLERS', 'crawlers'],
  ['HEARTH_CONTROL_SOCKET', 'controlSocket'],
  ['HEARTH_RATE_LIMITS', 'rateLimits'],
  ['HEARTH_PAGES_PREFIX', 'pages.prefix'],
  ['HEARTH_PASSWORD_SIGN_IN', 'pages.passwordSignIn'],
])

/** The options as a Config (with `pages` checked and kept beside it). */
export function configFromOptions(options: PdsOptions): { config: Config; pages: PageOptions } {
  if (!options || typeof options !== 'object' || Array.isArray(options)) throw new ConfigError('options', 'createPds takes an object of options')
  const env: Record<string, string> = {}
  const put = (_option: string, variable: string, value: string) => {
    env[variable] = value
  }
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue
    const simple = SIMPLE.get(key)
    if (simple) {
      const [variable, kind] = simple
      put(key, variable, scalar(key, value, kind))
    } else if (NESTED.has(key)) {
      if (key === 'rateLimits' && typeof value === 'boolean') {
        put(key, 'HEARTH_RATE_LIMITS', value ? 'on' : 'off')
        continue
      }
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(key, 'expected an object')
      const fields = NESTED.get(key)!
      for (const [field, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === undefined) continue
        const variable = fields.get(field)
        if (!variable) throw new ConfigError(`${key}.${field}`, `unknown option: ${key} takes ${[...fields.keys()].join(', ')}`)
        put(`${key}.${field}`, variable, scalar(`${key}.${field}`, v, key === 'rateLimits' ? 'number' : 'string'))
      }
    } else if (key === 'handleDomain') {
      const list = typeof value === 'string' ? [value] : value
      if (!Array.isArray(list) || list.some((d) => typeof d !== 'string')) throw new ConfigError(key, 'expected a string or a list of strings')
      put(key, 'HEARTH_HANDLE_DOMAIN', list.join(','))
    } else if (key === 'crawlers') {
      if (!Array.isArray(value) || value.some((d) => typeof d !== 'string')) throw new ConfigError(key, 'expected a list of URLs')
      put(key, 'HEARTH_CRAWLERS', value.join(','))
    } else if (key === 'controlSocket') {
      if (value !== false && typeof value !== 'string') throw new ConfigError(key, 'expected a path or false')
      put(key, 'HEARTH_CONTROL_SOCKET', value === false ? 'off' : value)
    } else if (!OTHER.has(key)) {
      throw new ConfigError(key, 'unknown option (see PdsOptions)')
    }
  }
  const pages = checkPageOptions(options.pages)
  // Where the pages live and whether they take passwords are the operator's settings too (the environment), so they go through the Config.
  if (pages.prefix !== undefined) put('pages.prefix', 'HEARTH_PAGES_PREFIX', pages.prefix === '' ? '/' : pages.prefix)
  if (pages.passwordSignIn !== undefined) put('pages.passwordSignIn', 'HEARTH_PASSWORD_SIGN_IN', pages.passwordSignIn ? 'on' : 'off')
  try {
    return { config: loadConfig(env), pages }
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    const problem = err.problem.replace(/HEARTH_[A-Z_]+/g, (v) => OPTION_OF.get(v) ?? v)
    throw new ConfigError(OPTION_OF.get(err.variable) ?? err.variable, problem)
  }
}

function scalar(option: string, value: unknown, kind: Kind): string {
  if (typeof value !== kind) throw new ConfigError(option, `expected a ${kind}, got ${JSON.stringify(value)}`)
  if (kind === 'number' && !Number.isInteger(value)) throw new ConfigError(option, `expected a whole number, got ${value}`)
  // An empty string would read as "unset" in the environment's rules; as an option it is a mistake.
  if (kind === 'string' && value === '') throw new ConfigError(option, 'must not be empty')
  return String(value)
}

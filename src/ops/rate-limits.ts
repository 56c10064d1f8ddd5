/**
 * Request budgets, kept in memory (a restart forgives everyone; that is the
 * price of having no extra store). Fixed windows per key:
 *
 * | budget            | key               | default          |
 * |-------------------|-------------------|------------------|
 * | write points      | account           | 5000/h, 35000/day (create 3, update 2, delete 1) |
 * | write points      | client address    | 15000/h          |
 * | sessions          | client address    | 300 per 5 min (createSession + refreshSession) |
 * | sessions          | account           | 100 per 5 min    |
 * | failed sign-ins   | identifier        | 30 per 5 min     |
 * | ingest points     | account (control) | 3,000,000/h      |
 * | web sign-in starts| client address    | 100 per 5 min (GET /auth/<provider>, password and link forms) |
 * | other web requests| client address    | 3000 per 5 min (everything outside /xrpc) |
 * | OAuth requests    | client address    | 300 per 5 min (PAR, token, revoke, the authorization page) |
 *
 * A refused request gets 429 `{ error: 'RateLimitExceeded', message }` with
 * `ratelimit-limit`, `ratelimit-remaining`, `ratelimit-reset` (Unix seconds)
 * and `ratelimit-policy` (`<limit>;w=<window seconds>`); an accepted one
 * carries the same headers for its tightest budget.
 *
 * @example
 * const limits = new RateLimits(config.rateLimits)
 * app.use('/xrpc/*', publicRateLimits(ctx))
 */
import type { MiddlewareHandler } from 'hono'
import type { RateLimitConfig } from '../config.js'
import type { AppContext } from '../context.js'
import { HearthError, RateLimitExceeded, type RateLimitState } from '../errors/hearth-error.js'
import { httpErrorHeaders, httpStatusOf } from '../errors/http-answer.js'
import { rateLimitHeaders } from './rate-limit-headers.js'
import { readBodyOnce } from '../xrpc/request-body.js'
import { clientAddress } from './client-address.js'
import { checkSignInIdentifier } from './identifier-limits.js'

const FIVE_MINUTES = 5 * 60_000
const HOUR = 60 * 60_000
const DAY = 24 * HOUR
/**
 * Most keys one limiter holds. Past it, expired windows go first, then the
 * oldest: memory stays bounded whatever keys callers invent (keys are capped
 * in length at the edge, so this is a few MB at most). Forgetting the oldest
 * forgives a budget early; filling the table takes that many charged requests,
 * which the per-address budgets limit.
 */
export const MAX_KEYS = 20_000

export type LimitState = RateLimitState

export { rateLimitHeaders }

/** One budget: at most `limit` points per key per window. */
export class WindowLimiter {
  private windows = new Map<string, { used: number; resetAt: number }>()

  constructor(
    readonly name: string,
    readonly limit: number,
    readonly windowMs: number,
    private maxKeys = MAX_KEYS,
  ) {}

  /** How many keys it holds now. */
  get size(): number {
    return this.windows.size
  }

  /** The key's state now, without spending anything. */
  peek(key: string, now = Date.now()): LimitState {
    const w = this.windows.get(key)
    const live = w && w.resetAt > now ? w : { used: 0, resetAt: now + this.windowMs }
    return { name: this.name, limit: this.limit, remaining: Math.max(0, this.limit - live.used), resetAt: live.resetAt, windowMs: this.windowMs }
  }

  spend(key: string, points: number, now = Date.now()): LimitState {
    let w = this.windows.get(key)
    if (!w || w.resetAt <= now) {
      if (w) this.windows.delete(key)
      if (this.windows.size >= this.maxKeys) this.prune(now)
      w = { used: 0, resetAt: now + this.windowMs }
      // Inserted last: the Map's order is the windows' age, oldest first.
      this.windows.set(key, w)
    }
    w.used += points
    return this.peek(key, now)
  }

  private prune(now: number): void {
    for (const [key, w] of this.windows) if (w.resetAt <= now) this.windows.delete(key)
    for (const key of this.windows.keys()) {
      if (this.windows.size < this.maxKeys) break
      this.windows.delete(key)
    }
  }
}

/** A budget and the key to charge it under. */
export interface Charge {
  limiter: WindowLimiter
  key: string
}

/** The neutral RateLimitExceeded, with the headers the HTTP edges send along. */
export class RateLimitedError extends RateLimitExceeded {
  constructor(state: RateLimitState) {
    super(state, rateLimitHeaders(state))
  }
}

export class RateLimits {
  readonly enabled: boolean
  readonly writesPerHour: WindowLimiter
  readonly writesPerDay: WindowLimiter
  readonly ipWritesPerHour: WindowLimiter
  readonly sessionsPerIp: WindowLimiter
  readonly sessionsPerAccount: WindowLimiter
  readonly signInFailures: WindowLimiter
  readonly ingestPerHour: WindowLimiter
  readonly webSignInsPerIp: WindowLimiter
  readonly webRequestsPerIp: WindowLimiter
  readonly oauthPerIp: WindowLimiter

  constructor(config: RateLimitConfig) {
    this.enabled = config.enabled
    this.writesPerHour = new WindowLimiter('writes-per-hour', config.writePointsPerHour, HOUR)
    this.writesPerDay = new WindowLimiter('writes-per-day', config.writePointsPerDay, DAY)
    this.ipWritesPerHour = new WindowLimiter('ip-writes-per-hour', config.ipWritePointsPerHour, HOUR)
    this.sessionsPerIp = new WindowLimiter('ip-sessions', config.sessionsPerIp, FIVE_MINUTES)
    this.sessionsPerAccount = new WindowLimiter('account-sessions', config.sessionsPerAccount, FIVE_MINUTES)
    this.signInFailures = new WindowLimiter('failed-sign-ins', config.signInFailures, FIVE_MINUTES)
    this.ingestPerHour = new WindowLimiter('ingest-per-hour', config.ingestPointsPerHour, HOUR)
    this.webSignInsPerIp = new WindowLimiter('ip-web-sign-ins', config.webSignInsPerIp, FIVE_MINUTES)
    this.webRequestsPerIp = new WindowLimiter('ip-web-requests', config.webRequestsPerIp, FIVE_MINUTES)
    this.oauthPerIp = new WindowLimiter('ip-oauth-requests', config.oauthRequestsPerIp, FIVE_MINUTES)
  }

  /**
   * Spends `points` from every budget, or from none: throws RateLimitedError
   * naming the first budget without room. Returns the tightest state after
   * spending (for the response headers), or null when limits are off.
   */
  take(charges: Charge[], points = 1): LimitState | null {
    if (!this.enabled || charges.length === 0) return null
    const now = Date.now()
    for (const { limiter, key } of charges) {
      const state = limiter.peek(key, now)
      if (state.remaining < points) throw new RateLimitedError(state)
    }
    return tightest(charges.map(({ limiter, key }) => limiter.spend(key, points, now)))
  }

  /** Write charges of an account (and its client address, when known). */
  writeCharges(did: string, ip?: string): Charge[] {
    const charges: Charge[] = [
      { limiter: this.writesPerHour, key: did },
      { limiter: this.writesPerDay, key: did },
    ]
    if (ip && ip !== 'unknown') charges.push({ limiter: this.ipWritesPerHour, key: ip })
    return charges
  }
}

function tightest(states: LimitState[]): LimitState {
  return states.reduce((a, b) => (b.remaining / b.limit < a.remaining / a.limit ? b : a))
}

/** Write points of one write: what it costs the account's budget. */
export const WRITE_POINTS = { create: 3, update: 2, delete: 1 } as const

// A Map, never an object literal: the method name comes from the request path,
// and `constructor` or `__proto__` must not find an inherited property.
const WRITE_METHODS = new Map<string, (body: unknown) => number>([
  ['com.atproto.repo.createRecord', () => WRITE_POINTS.create],
  // putRecord may create; counted as the update it usually is, as the reference PDS does.
  ['com.atproto.repo.putRecord', () => WRITE_POINTS.update],
  ['com.atproto.repo.deleteRecord', () => WRITE_POINTS.delete],
  [
    'com.atproto.repo.applyWrites',
    (body) => {
      const writes = (body as { writes?: { $type?: unknown }[] } | null)?.writes
      if (!Array.isArray(writes)) return 1
      let points = 0
      for (const w of writes) {
        const type = typeof w?.$type === 'string' ? w.$type : ''
        points += type.endsWith('#delete') ? WRITE_POINTS.delete : type.endsWith('#update') ? WRITE_POINTS.update : WRITE_POINTS.create
      }
      return Math.max(1, points)
    },
  ],
  [
    'dev.hearth.scope.ingest',
    (body) => {
      const data = (body as { data?: unknown } | null)?.data
      return WRITE_POINTS.create * (Array.isArray(data) ? Math.max(1, data.length) : 1)
    },
  ],
])

/** Methods priced by their body, and the limit their body is read under (the same the method itself reads it with). */
function bodyLimitFor(ctx: AppContext, nsid: string): number {
  if (nsid === 'dev.hearth.scope.ingest') return ctx.config.maxIngestBytes
  if (nsid === 'com.atproto.repo.applyWrites' || nsid === 'com.atproto.server.createSession') return ctx.config.maxJsonBodyBytes
  return 0
}

const SESSION_METHODS = new Set(['com.atproto.server.createSession', 'com.atproto.server.refreshSession'])

/**
 * The public listener's limits on XRPC: sign-in and session routes, and
 * writes. Mount on `/xrpc/*` after the body limits.
 */
export function publicRateLimits(ctx: AppContext): MiddlewareHandler {
  const limits = ctx.rateLimits
  return async (c, next) => {
    const nsid = c.req.path.slice('/xrpc/'.length)
    const isWrite = WRITE_METHODS.has(nsid)
    if (!limits.enabled || c.req.method !== 'POST' || (!isWrite && !SESSION_METHODS.has(nsid))) return next()
    const ip = clientAddress(c, ctx.config.trustProxy)
    let state: LimitState | null
    let failureKey: string | null = null
    try {
      if (isWrite) {
        state = await chargeWrite(ctx, nsid, c.req.header('authorization'), ip, (limit) => readBodyOnce(c.req.raw, limit))
        // No valid token: the router answers 401 without touching anything.
        if (!state) return next()
      } else {
        const charges: Charge[] = ip !== 'unknown' ? [{ limiter: limits.sessionsPerIp, key: ip }] : []
        if (nsid === 'com.atproto.server.createSession') {
          const body = (await peekJson(c.req.raw, bodyLimitFor(ctx, nsid))) as { identifier?: unknown } | null
          if (typeof body?.identifier === 'string') {
            // Before the identifier keys anything kept in memory.
            checkSignInIdentifier(body.identifier)
            failureKey = signInKey(ctx, body.identifier)
            charges.push({ limiter: limits.sessionsPerAccount, key: failureKey })
            const failures = limits.signInFailures.peek(failureKey)
            if (failures.remaining <= 0) throw new RateLimitedError(failures)
          }
        } else {
          const did = await refreshDid(ctx, c.req.header('authorization'))
          if (did) charges.push({ limiter: limits.sessionsPerAccount, key: did })
        }
        state = limits.take(charges)
      }
    } catch (err) {
      if (!(err instanceof HearthError)) throw err
      if (err instanceof RateLimitedError) ctx.metrics.rateLimited.inc({ limit: err.limitName })
      // A body over its limit (413) or an overlong identifier (400) is answered here, before the route.
      return c.json(err.toJSON(), httpStatusOf(err) as never, httpErrorHeaders(err))
    }
    await next()
    if (failureKey && c.res.status === 401) limits.signInFailures.spend(failureKey, 1)
    if (state) {
      try {
        for (const [k, v] of Object.entries(rateLimitHeaders(state))) c.res.headers.set(k, v)
      } catch {
        // immutable headers: the budget was still spent
      }
    }
  }
}

/**
 * Charges a write method (createRecord, applyWrites, …) to its account and
 * client address: the state to send in the answer's headers, or null when
 * limits are off, the method is no write or no valid access token names an
 * account (the router then answers 401). Throws RateLimitedError when a
 * budget has no room, 413 when a batch priced by its body is too large.
 * The public edge's middleware and the lean write path both charge here.
 */
export async function chargeWrite(
  ctx: AppContext,
  nsid: string,
  authorization: string | undefined,
  ip: string,
  readBody: (limit: number) => Promise<Uint8Array>,
): Promise<LimitState | null> {
  const limits = ctx.rateLimits
  const pricer = WRITE_METHODS.get(nsid)
  if (!limits.enabled || pricer === undefined) return null
  const did = await accessDid(ctx, authorization)
  if (!did) return null
  // Only batches are priced by their body; the rest skip reading it here.
  const limit = bodyLimitFor(ctx, nsid)
  const body = limit ? parseJsonOrNull(await readBody(limit)) : null
  return limits.take(limits.writeCharges(did, ip), pricer(body))
}

/** Failed sign-ins count per account whatever form of identifier was used (DID, handle, email). */
function signInKey(ctx: AppContext, identifier: string): string {
  return ctx.accounts.lookup(identifier)?.did ?? identifier.trim().toLowerCase()
}

function accessDid(ctx: AppContext, authorization: string | undefined): Promise<string | null> {
  return ctx.requestAuth.peekAccessDid(authorization)
}

function refreshDid(ctx: AppContext, authorization: string | undefined): Promise<string | null> {
  return ctx.requestAuth.peekRefreshDid(authorization)
}

/**
 * Reads the JSON body once under the method's own limit (the route reuses the
 * bytes); 413 when it is too big; null when it is not JSON (the route answers that).
 */
async function peekJson(req: Request, limit: number): Promise<unknown> {
  // No `req.body` check first: on @hono/node-server that getter builds a whole web Request.
  return parseJsonOrNull(await readBodyOnce(req, limit))
}

function parseJsonOrNull(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes))
  } catch {
    return null
  }
}

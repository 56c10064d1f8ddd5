/**
 * Hearth's errors, in a home that knows nothing of HTTP. Every layer throws
 * them (storage, services, the control socket, the in-process API); each edge
 * turns them into its own answer: the XRPC router and the control socket map
 * the `kind` to a status code, the in-process API hands them to the host as
 * they are. `error` is the AT Protocol error name a client matches on
 * (`InvalidRecord`, `InvalidSwap`, `RepoNotFound`, …); `message` says what
 * was wrong and what to do.
 *
 * @example
 * throw new InvalidRecord('Record/text must be a string')
 * // at an edge:
 * if (err instanceof HearthError) return { error: err.error, message: err.message }
 */

/** What kind of failure it is, for an edge to choose its answer. */
export type ErrorKind =
  /** The request as given cannot succeed (bad input, a swap that does not hold, an expired token). */
  | 'invalid'
  /** No credentials, or credentials that do not verify. */
  | 'unauthenticated'
  /** The caller is known but may not do this. */
  | 'forbidden'
  /** What the request names is not there. */
  | 'not-found'
  /** The thing is in a state that rules this out (already decided, already running). */
  | 'conflict'
  /** The input is larger than this server takes. */
  | 'too-large'
  /** The client stopped sending mid-way (a stalled upload). */
  | 'timeout'
  /** A request budget is spent. */
  | 'rate-limited'
  /** A service this server depends on (the PLC directory) refused or failed. */
  | 'upstream-failed'
  /** Busy for a moment: trying again later can work. */
  | 'unavailable'
  /** This server does not offer it. */
  | 'not-implemented'
  /** The call used the wrong verb (a query sent as a procedure). */
  | 'wrong-method'
  /** A service this server depends on did not answer in time. */
  | 'upstream-timeout'
  /** Hearth itself is at fault (a state that must never happen). */
  | 'internal'

/**
 * The HTTP status of each kind, for the edges that speak HTTP (the XRPC
 * router, the control socket). Which kind an error has is decided where it
 * is thrown: a "not found" that AT Protocol clients expect as 400 is thrown
 * with kind 'invalid' (NotFoundKind), so one table serves both edges.
 */
export const HTTP_STATUS_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  'wrong-method': 405,
  timeout: 408,
  conflict: 409,
  'too-large': 413,
  'rate-limited': 429,
  internal: 500,
  'not-implemented': 501,
  'upstream-failed': 502,
  unavailable: 503,
  'upstream-timeout': 504,
}

/** Longest message an edge sends back (in-process callers get the whole one). */
export const MAX_ERROR_MESSAGE = 300

export class HearthError extends Error {
  constructor(
    readonly kind: ErrorKind,
    /** The error name clients match on (`InvalidRecord`). */
    readonly error: string,
    message: string,
    /**
     * Headers an HTTP edge sends with the answer (an OAuth token's
     * WWW-Authenticate challenge, what another service answered with);
     * in-process callers can ignore them.
     */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message)
    this.name = error
  }

  /** The standard shape, with a message that may quote the caller's input cut to MAX_ERROR_MESSAGE characters. */
  toJSON(): { error: string; message: string } {
    const m = this.message
    return { error: this.error, message: m.length <= MAX_ERROR_MESSAGE ? m : `${m.slice(0, MAX_ERROR_MESSAGE - 1)}…` }
  }
}

/**
 * AT Protocol answers a request naming a repository, record, account or blob
 * that is not there with 400 (the reference PDS's InvalidRequestError), so
 * these "not found" errors are of kind 'invalid' by default; Hearth's own
 * methods and the control socket say 'not-found' (404) where they always did.
 */
export type NotFoundKind = 'invalid' | 'not-found'

// Typed errors for the names a host's code is most likely to catch. Each is a
// HearthError; `instanceof` works on them whichever layer threw.

/** Input that breaks the method's rules (names, keys, batch shape). */
export class InvalidRequest extends HearthError {
  constructor(message: string) {
    super('invalid', 'InvalidRequest', message)
  }
}

/** A record that is not valid data-model JSON or does not match its lexicon. */
export class InvalidRecord extends HearthError {
  constructor(message: string) {
    super('invalid', 'InvalidRecord', message)
  }
}

/** A swapCommit / swapRecord that does not match what is stored. */
export class InvalidSwap extends HearthError {
  constructor(message: string) {
    super('invalid', 'InvalidSwap', message)
  }
}

/** No such repository (an unknown or deleted account). */
export class RepoNotFound extends HearthError {
  constructor(message: string, kind: NotFoundKind = 'invalid') {
    super(kind, 'RepoNotFound', message)
  }
}

/** No record at that path. */
export class RecordNotFound extends HearthError {
  constructor(message: string, kind: NotFoundKind = 'invalid') {
    super(kind, 'RecordNotFound', message)
  }
}

/** No such account on this server. */
export class AccountNotFound extends HearthError {
  constructor(message: string, kind: NotFoundKind = 'invalid') {
    super(kind, 'AccountNotFound', message)
  }
}

/** A record names a blob this account never uploaded. */
export class BlobNotFound extends HearthError {
  constructor(message: string, kind: NotFoundKind = 'invalid') {
    super(kind, 'BlobNotFound', message)
  }
}

/** The state of one request budget, as a refusal reports it. */
export interface RateLimitState {
  name: string
  limit: number
  remaining: number
  /** When the window ends, ms since the epoch. */
  resetAt: number
  windowMs: number
}

/** A request budget is spent; `state` says which and when it refills. */
export class RateLimitExceeded extends HearthError {
  readonly limitName: string
  constructor(
    readonly state: RateLimitState,
    headers?: Readonly<Record<string, string>>,
  ) {
    super('rate-limited', 'RateLimitExceeded', `Rate limit exceeded (${state.name}): try again after ${new Date(state.resetAt).toISOString()}`, headers)
    this.limitName = state.name
  }
}

/**
 * An error another service gave, passed on as it came (the service proxy):
 * `upstreamStatus` is the status that service answered with, which an HTTP
 * edge hands on unchanged; `kind` is its nearest kind, for other callers.
 *
 * @example
 * throw new ForwardedError(res.status, body.error, body.message, headers)
 */
export class ForwardedError extends HearthError {
  constructor(
    readonly upstreamStatus: number,
    error: string,
    message: string,
    headers?: Readonly<Record<string, string>>,
  ) {
    super(kindOfStatus(upstreamStatus), error, message, headers)
  }
}

const KIND_OF_STATUS = new Map<number, ErrorKind>(
  (Object.entries(HTTP_STATUS_OF_KIND) as [ErrorKind, number][]).map(([kind, status]) => [status, kind]),
)

/**
 * The kind whose status this is; an unlisted 4xx is 'invalid', an unlisted 5xx 'upstream-failed'.
 *
 * @example
 * kindOfStatus(404) // 'not-found'
 */
export function kindOfStatus(status: number): ErrorKind {
  return KIND_OF_STATUS.get(status) ?? (status >= 500 ? 'upstream-failed' : 'invalid')
}

/** The helpers services use for the common cases. */
export const invalidRequest = (message: string, error = 'InvalidRequest') => new HearthError('invalid', error, message)
export const authRequired = (message = 'Authentication required', error = 'AuthenticationRequired') =>
  new HearthError('unauthenticated', error, message)
export const forbidden = (message: string, error = 'Forbidden') => new HearthError('forbidden', error, message)
export const notFound = (message: string, error = 'NotFound') => new HearthError('not-found', error, message)

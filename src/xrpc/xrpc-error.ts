/**
 * Errors at the XRPC edge. Services throw the neutral `HearthError`
 * (src/errors/); the router turns any of them into `{ error, message }` with
 * the status `xrpcStatus` picks, and anything else thrown is a server bug
 * (a logged 500). `XrpcError` is a HearthError with an explicit status, for
 * what only the edge knows (405, 426, a body too large on the wire).
 *
 * @example
 * throw new XrpcError(405, 'InvalidRequest', 'use POST')
 * return c.json(err.toJSON(), xrpcStatus(err))
 */
import { HTTP_STATUS_OF_KIND, HearthError, RateLimitExceeded, type ErrorKind } from '../errors/hearth-error.js'
import { rateLimitHeaders } from '../ops/rate-limit-headers.js'

export { HearthError } from '../errors/hearth-error.js'

const KIND_OF_STATUS = new Map<number, ErrorKind>([
  [401, 'unauthenticated'],
  [403, 'forbidden'],
  [404, 'not-found'],
  [409, 'conflict'],
  [408, 'timeout'],
  [413, 'too-large'],
  [429, 'rate-limited'],
  [501, 'not-implemented'],
  [502, 'upstream-failed'],
  [503, 'unavailable'],
])

export class XrpcError extends HearthError {
  constructor(
    readonly status: number,
    error: string,
    message: string,
    readonly headers?: Record<string, string>,
  ) {
    super(KIND_OF_STATUS.get(status) ?? (status >= 500 ? 'unavailable' : 'invalid'), error, message)
  }
}

/** The HTTP status an XRPC client gets for this error. */
export function xrpcStatus(err: HearthError): number {
  if (err instanceof XrpcError) return err.status
  return HTTP_STATUS_OF_KIND[err.kind]
}

/** Response headers that go with the error (a rate limit's budget). */
export function xrpcErrorHeaders(err: HearthError): Record<string, string> | undefined {
  if (err instanceof XrpcError) return err.headers
  if (err instanceof RateLimitExceeded) return rateLimitHeaders(err.state)
  return undefined
}


// The edge's helpers keep returning XrpcError (explicit status), as they always did.
export const invalidRequest = (message: string, error = 'InvalidRequest') => new XrpcError(400, error, message)
export const authRequired = (message = 'Authentication required', error = 'AuthenticationRequired') =>
  new XrpcError(401, error, message)
export const forbidden = (message: string, error = 'Forbidden') => new XrpcError(403, error, message)
export const notFound = (message: string, error = 'NotFound') => new XrpcError(404, error, message)

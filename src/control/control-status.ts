/**
 * The control socket's answer to a HearthError: a status for its kind (a
 * missing account or repository is a plain 404 here; the socket speaks to
 * the CLI, not to AT Protocol clients), and a rate limit's budget headers.
 *
 * @example
 * return c.json(err.toJSON(), controlStatus(err), controlErrorHeaders(err))
 */
import { RateLimitExceeded, type ErrorKind, type HearthError } from '../errors/hearth-error.js'
import { rateLimitHeaders } from '../ops/rate-limit-headers.js'

const STATUS_OF_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'too-large': 413,
  timeout: 408,
  'rate-limited': 429,
  'not-implemented': 501,
  'upstream-failed': 502,
  unavailable: 503,
}

export function controlStatus(err: HearthError): number {
  return STATUS_OF_KIND[err.kind]
}

export function controlErrorHeaders(err: HearthError): Record<string, string> | undefined {
  return err instanceof RateLimitExceeded ? rateLimitHeaders(err.state) : undefined
}

/**
 * How an edge that speaks HTTP answers a HearthError: the status of its kind
 * (or, for an error passed on from another service, the status that service
 * gave) and the headers that go with it (a spent budget's ratelimit headers,
 * an OAuth challenge). The XRPC router, the rate-limit middleware, the
 * control socket and the web pages all read these two, so an error's status
 * is decided in one place; services never pick a status themselves.
 *
 * @example
 * if (err instanceof HearthError) return c.json(err.toJSON(), httpStatusOf(err), httpErrorHeaders(err))
 */
import { ForwardedError, HTTP_STATUS_OF_KIND, RateLimitExceeded, type HearthError } from './hearth-error.js'
import { rateLimitHeaders } from '../ops/rate-limit-headers.js'

/**
 * The HTTP status for this error.
 *
 * @example
 * httpStatusOf(new InvalidRecord('text must be a string')) // 400
 */
export function httpStatusOf(err: HearthError): number {
  if (err instanceof ForwardedError) return err.upstreamStatus
  return HTTP_STATUS_OF_KIND[err.kind]
}

/**
 * Response headers that go with the error, if any.
 *
 * @example
 * httpErrorHeaders(new RateLimitExceeded(state)) // { 'ratelimit-limit': '5000', … }
 */
export function httpErrorHeaders(err: HearthError): Record<string, string> | undefined {
  if (err instanceof RateLimitExceeded && !err.headers) return rateLimitHeaders(err.state)
  return err.headers ? { ...err.headers } : undefined
}

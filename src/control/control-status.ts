/**
 * The control socket's answer to a HearthError: a status for its kind (a
 * missing account or repository is a plain 404 here; the socket speaks to
 * the CLI, not to AT Protocol clients), and a rate limit's budget headers.
 *
 * @example
 * return c.json(err.toJSON(), controlStatus(err), controlErrorHeaders(err))
 */
import { HTTP_STATUS_OF_KIND, RateLimitExceeded, type HearthError } from '../errors/hearth-error.js'
import { rateLimitHeaders } from '../ops/rate-limit-headers.js'

export function controlStatus(err: HearthError): number {
  return HTTP_STATUS_OF_KIND[err.kind]
}

export function controlErrorHeaders(err: HearthError): Record<string, string> | undefined {
  return err instanceof RateLimitExceeded ? rateLimitHeaders(err.state) : undefined
}

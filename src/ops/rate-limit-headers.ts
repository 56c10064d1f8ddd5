/**
 * The `ratelimit-*` headers (IETF draft "RateLimit header fields") for one
 * budget's state: sent with every limited request, and with the 429 that
 * refuses one, on the public port and on the control socket alike.
 *
 * @example
 * c.header('ratelimit-remaining', rateLimitHeaders(state)['ratelimit-remaining'])
 */
import type { RateLimitState } from '../errors/hearth-error.js'

export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    'ratelimit-limit': String(state.limit),
    'ratelimit-remaining': String(state.remaining),
    'ratelimit-reset': String(Math.ceil(state.resetAt / 1000)),
    'ratelimit-policy': `${state.limit};w=${Math.round(state.windowMs / 1000)}`,
  }
}

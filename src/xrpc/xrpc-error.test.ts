import { describe, expect, it } from 'vitest'
import { HearthError, InvalidRecord, RateLimitExceeded, RepoNotFound } from '../errors/hearth-error.js'
import { controlErrorHeaders, controlStatus } from '../control/control-status.js'
import { XrpcError, xrpcErrorHeaders, xrpcStatus, invalidRequest } from './xrpc-error.js'

describe('neutral errors at the edges', () => {
  it('each kind gets its status on XRPC and on the control socket', () => {
    const cases: [HearthError, number, number][] = [
      [new InvalidRecord('bad'), 400, 400],
      [new HearthError('unauthenticated', 'InvalidToken', 'x'), 401, 401],
      [new HearthError('forbidden', 'Forbidden', 'x'), 403, 403],
      [new HearthError('not-found', 'RequestNotFound', 'x'), 404, 404],
      // AT Protocol answers these "not found" names with 400; Hearth's own methods and the socket say 404.
      [new RepoNotFound('x'), 400, 400],
      [new RepoNotFound('x', 'not-found'), 404, 404],
      [new HearthError('conflict', 'RequestNotPending', 'x'), 409, 409],
      [new HearthError('upstream-failed', 'UpstreamFailure', 'x'), 502, 502],
      [new HearthError('unavailable', 'SignInBusy', 'x'), 503, 503],
    ]
    for (const [err, xrpc, control] of cases) {
      expect([err.error, xrpcStatus(err)]).toEqual([err.error, xrpc])
      expect([err.error, controlStatus(err)]).toEqual([err.error, control])
    }
  })

  it('XrpcError is a HearthError that keeps its explicit status and headers', () => {
    const err = new XrpcError(405, 'InvalidRequest', 'use POST', { allow: 'POST' })
    expect(err).toBeInstanceOf(HearthError)
    expect(xrpcStatus(err)).toBe(405)
    expect(xrpcErrorHeaders(err)).toEqual({ allow: 'POST' })
    expect(new XrpcError(413, 'PayloadTooLarge', 'big').kind).toBe('too-large')
    expect(invalidRequest('nope')).toBeInstanceOf(XrpcError)
    expect(err.toJSON()).toEqual({ error: 'InvalidRequest', message: 'use POST' })
  })

  it('a spent budget answers 429 with its ratelimit headers on both edges', () => {
    const err = new RateLimitExceeded({ name: 'writes-per-hour', limit: 10, remaining: 0, resetAt: 1_700_000_000_000, windowMs: 3_600_000 })
    expect(xrpcStatus(err)).toBe(429)
    expect(controlStatus(err)).toBe(429)
    const expected = { 'ratelimit-limit': '10', 'ratelimit-remaining': '0', 'ratelimit-reset': '1700000000', 'ratelimit-policy': '10;w=3600' }
    expect(xrpcErrorHeaders(err)).toEqual(expected)
    expect(controlErrorHeaders(err)).toEqual(expected)
    expect(err.error).toBe('RateLimitExceeded')
    expect(err.name).toBe('RateLimitExceeded')
  })
})

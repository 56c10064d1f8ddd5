import { describe, expect, it } from 'vitest'
import { ForwardedError, HearthError, InvalidRecord, RateLimitExceeded, RepoNotFound, invalidRequest as neutralInvalidRequest } from '../errors/hearth-error.js'
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
      [new HearthError('wrong-method', 'InvalidRequest', 'x'), 405, 405],
      [new HearthError('internal', 'InternalServerError', 'x'), 500, 500],
      [new HearthError('upstream-timeout', 'UpstreamTimeout', 'x'), 504, 504],
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
    // The helpers services use are neutral; the edge re-exports the same ones.
    expect(invalidRequest).toBe(neutralInvalidRequest)
    expect(invalidRequest('nope')).not.toBeInstanceOf(XrpcError)
    expect(xrpcStatus(invalidRequest('nope'))).toBe(400)
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

  it("an error passed on from another service keeps that service's status and headers", () => {
    const err = new ForwardedError(418, 'Teapot', 'short and stout', { 'retry-after': '5' })
    expect(err.kind).toBe('invalid')
    expect(xrpcStatus(err)).toBe(418)
    expect(xrpcErrorHeaders(err)).toEqual({ 'retry-after': '5' })
    expect(new ForwardedError(503, 'Busy', 'x').kind).toBe('unavailable')
    expect(new ForwardedError(599, 'Odd', 'x').kind).toBe('upstream-failed')
  })

  it('a neutral error carries the headers an HTTP edge sends along (an OAuth challenge)', () => {
    const err = new HearthError('unauthenticated', 'invalid_token', 'expired', { 'WWW-Authenticate': 'DPoP error="invalid_token"' })
    expect(xrpcStatus(err)).toBe(401)
    expect(controlErrorHeaders(err)).toEqual({ 'WWW-Authenticate': 'DPoP error="invalid_token"' })
  })
})

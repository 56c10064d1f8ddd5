import { describe, expect, it } from 'vitest'
import { HearthError, InvalidSwap, RepoNotFound, RateLimitExceeded } from '../errors/hearth-error.js'
import { typedError } from './typed-errors.js'

describe('typedError', () => {
  it('gives a neutral refusal its typed class, keeping name, message and kind', () => {
    const swap = typedError(new HearthError('invalid', 'InvalidSwap', 'the record changed'))
    expect(swap).toBeInstanceOf(InvalidSwap)
    expect(swap).toMatchObject({ error: 'InvalidSwap', message: 'the record changed', kind: 'invalid' })
    const missing = typedError(new HearthError('not-found', 'RepoNotFound', 'no such repo'))
    expect(missing).toBeInstanceOf(RepoNotFound)
    expect((missing as RepoNotFound).kind).toBe('not-found')
  })

  it('passes on what it has no class for, and what is not a HearthError', () => {
    const other = new HearthError('conflict', 'RequestNotPending', 'x')
    expect(typedError(other)).toBe(other)
    const limit = new RateLimitExceeded({ name: 'w', limit: 1, remaining: 0, resetAt: 0, windowMs: 1000 })
    expect(typedError(limit)).toBe(limit)
    const bug = new TypeError('bug')
    expect(typedError(bug)).toBe(bug)
  })
})

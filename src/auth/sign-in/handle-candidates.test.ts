import { describe, expect, it } from 'vitest'
import { ensureValidHandle } from '@atproto/syntax'
import { assertServiceHandle } from '../../identity/handles.js'
import { handleCandidates, handleLabel } from './handle-candidates.js'

describe('handles from provider user names', () => {
  it('keeps a plain GitHub login', () => {
    expect(handleLabel('octocat')).toBe('octocat')
  })

  it('lower-cases, folds accents and turns everything else into single hyphens', () => {
    expect(handleLabel('Mona_Lisa')).toBe('mona-lisa')
    expect(handleLabel('José.Ñúñez')).toBe('jose-nunez')
    expect(handleLabel('--a__b--')).toBe('a-b')
  })

  it('takes the local part of an email address', () => {
    expect(handleLabel('jane.doe+hearth@example.com')).toBe('jane-doe-hearth')
  })

  it('pads short names and cuts long ones without a trailing hyphen', () => {
    expect(handleLabel('ab')).toBe('ab-user')
    expect(handleLabel('字')).toBe('user')
    expect(handleLabel('a-very-long-github-login-name')).toBe('a-very-long-github')
    expect(handleLabel('abcdefghijklmnopq-rst')).toBe('abcdefghijklmnopq')
  })

  it('numbers the next candidates, staying within 18 characters', () => {
    expect([...handleCandidates('octocat', '.test', 3)]).toEqual(['octocat.test', 'octocat-2.test', 'octocat-3.test'])
    const long = [...handleCandidates('abcdefghijklmnopqr', '.test', 12)]
    expect(long[1]).toBe('abcdefghijklmnop-2.test')
    expect(long[11]).toBe('abcdefghijklmno-12.test')
  })

  it('every candidate is a valid handle under the server domain', () => {
    for (const name of ['octocat', 'Mona_Lisa', 'x', '', '___', 'a'.repeat(60), 'ünïcødé-Ünïcødé', '9lives']) {
      for (const handle of handleCandidates(name, '.example.com', 12)) {
        expect(() => ensureValidHandle(handle)).not.toThrow()
        expect(() => assertServiceHandle(handle, ['.example.com'])).not.toThrow()
      }
    }
  })
})

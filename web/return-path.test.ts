import { describe, expect, it } from 'vitest'
import { safeReturnPath } from './return-path.js'

describe('safeReturnPath', () => {
  it('keeps relative paths on this origin, with their query', () => {
    expect(safeReturnPath('/account/requests/abc')).toBe('/account/requests/abc')
    expect(safeReturnPath('/oauth/authorize?request_uri=urn%3Ax')).toBe('/oauth/authorize?request_uri=urn%3Ax')
  })
  it('refuses absolute, protocol-relative and odd paths', () => {
    for (const bad of [
      'https://evil.example/',
      '//evil.example/',
      '/\\evil.example',
      '\\\\evil.example',
      'javascript:alert(1)',
      'account',
      '/account\n/x',
      '/%0a',
      '',
      undefined,
      '/sign-in',
      '/auth/github',
      '/sign-out',
      `/${'a'.repeat(1001)}`,
    ]) {
      const got = safeReturnPath(bad)
      if (bad === '/%0a') expect(got).toBe('/%0a') // encoded: harmless as a path
      else expect(got, String(bad)).toBeNull()
    }
  })
})

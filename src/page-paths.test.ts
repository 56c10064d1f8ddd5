import { describe, expect, it } from 'vitest'
import { PagePaths, checkPagePrefix } from './page-paths.js'
import { ConfigError, loadConfig } from './config.js'
import { configFromOptions } from './embed/pds-options.js'
import { approveUrl } from './grant/approval-links.js'
import { safeReturnPath, signInUrlFor } from '../web/return-path.js'

const refusal = (f: () => unknown): ConfigError => {
  try {
    f()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return err as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('PagePaths', () => {
  it('puts page paths under the prefix, and leaves them as they are without one', () => {
    const p = new PagePaths('/hearth')
    expect(p.to('/account')).toBe('/hearth/account')
    expect(p.to('/')).toBe('/hearth')
    expect(p.to('/?x=1')).toBe('/hearth?x=1')
    expect(p.to('/sign-in?next=%2Fa')).toBe('/hearth/sign-in?next=%2Fa')
    expect(p.cookiePath).toBe('/hearth')
    const root = new PagePaths()
    expect(root.to('/account')).toBe('/account')
    expect(root.to('/')).toBe('/')
    expect(root.cookiePath).toBe('/')
    expect(new PagePaths('/').prefix).toBe('')
  })

  it('tells a path under the prefix from one outside it', () => {
    const p = new PagePaths('/a/b')
    expect(p.within('/a/b/sign-in')).toBe('/sign-in')
    expect(p.within('/a/b')).toBe('/')
    expect(p.within('/a/bc/sign-in')).toBeNull()
    expect(p.within('/sign-in')).toBeNull()
    expect(new PagePaths().within('/sign-in')).toBe('/sign-in')
  })

  it('refuses prefixes that are not plain paths or that take the protocol’s routes, naming the option', () => {
    for (const bad of ['hearth', '/hearth/', '//evil.example', '/a b', '/a/../b', '/xrpc', '/oauth/x', '/.well-known', '/x?y', '/%2e']) {
      expect([bad, refusal(() => checkPagePrefix(bad, 'pages.prefix')).variable]).toEqual([bad, 'pages.prefix'])
    }
    expect(checkPagePrefix('/my-app/hearth')).toBe('/my-app/hearth')
  })
})

describe('the prefix and the password switch as configuration', () => {
  it('reads HEARTH_PAGES_PREFIX and HEARTH_PASSWORD_SIGN_IN, defaulting to the root and on', () => {
    const base = { HEARTH_DATA_DIR: '/tmp/x' }
    expect(loadConfig(base)).toMatchObject({ pagesPrefix: '', passwordSignIn: true })
    expect(loadConfig({ ...base, HEARTH_PAGES_PREFIX: '/hearth', HEARTH_PASSWORD_SIGN_IN: 'off' })).toMatchObject({ pagesPrefix: '/hearth', passwordSignIn: false })
    expect(refusal(() => loadConfig({ ...base, HEARTH_PAGES_PREFIX: '/xrpc' })).variable).toBe('HEARTH_PAGES_PREFIX')
    expect(refusal(() => loadConfig({ ...base, HEARTH_PASSWORD_SIGN_IN: 'maybe' })).variable).toBe('HEARTH_PASSWORD_SIGN_IN')
  })

  it('takes pages.prefix and pages.passwordSignIn from createPds options, naming a bad one', () => {
    expect(configFromOptions({ dataDir: '/tmp/x', pages: { prefix: '/hearth', passwordSignIn: false } }).config).toMatchObject({ pagesPrefix: '/hearth', passwordSignIn: false })
    expect(configFromOptions({ dataDir: '/tmp/x', pages: { prefix: '' } }).config.pagesPrefix).toBe('')
    expect(refusal(() => configFromOptions({ pages: { prefix: 'hearth' } })).variable).toBe('pages.prefix')
    expect(refusal(() => configFromOptions({ pages: { prefix: 7 as never } })).variable).toBe('pages.prefix')
    expect(refusal(() => configFromOptions({ pages: { passwordSignIn: 'no' as never } })).variable).toBe('pages.passwordSignIn')
  })

  it('builds the links other parts hand out under the prefix', () => {
    expect(approveUrl('https://pds.example', 'req1', '/hearth')).toBe('https://pds.example/hearth/account/requests/req1')
    expect(approveUrl('https://pds.example', 'req1')).toBe('https://pds.example/account/requests/req1')
    const paths = new PagePaths('/hearth')
    // Never back into the sign-in machinery itself, under the prefix too.
    expect(safeReturnPath('/hearth/sign-in', paths)).toBeNull()
    expect(safeReturnPath('/hearth/auth/github/callback', paths)).toBeNull()
    expect(safeReturnPath('/hearth/account/data', paths)).toBe('/hearth/account/data')
    const c = { req: { url: 'http://pds.example/hearth/account/data?x=1' } } as never
    expect(signInUrlFor(c, paths)).toBe(`/hearth/sign-in?next=${encodeURIComponent('/hearth/account/data?x=1')}`)
    const home = { req: { url: 'http://pds.example/hearth/account' } } as never
    expect(signInUrlFor(home, paths)).toBe('/hearth/sign-in')
  })
})

describe('the pages build their paths with PagePaths', () => {
  // A guard for pages added later: a literal page path in markup or a redirect would not follow the prefix.
  it('no page or route file writes a literal page path into a link, form, asset or redirect', async () => {
    const { readdirSync, readFileSync } = await import('node:fs')
    const { join } = await import('node:path')
    const { projectPath } = await import('./project-paths.js')
    const literal = /\b(?:href|action|src|value|data-[\w-]+)="\/(?!oauth\/|xrpc\/)|\b(?:href|action|src|data-[\w-]+)=\{['`]\/(?!oauth\/|xrpc\/)|c\.redirect\(['`]\/(?!oauth\/|xrpc\/)/
    const offenders: string[] = []
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name)
        if (e.isDirectory()) walk(p)
        else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.test.ts')) {
          readFileSync(p, 'utf8')
            .split('\n')
            .forEach((line, i) => literal.test(line) && offenders.push(`${p.slice(projectPath('').length)}:${i + 1}: ${line.trim()}`))
        }
      }
    }
    walk(projectPath('web'))
    expect(offenders).toEqual([])
  })
})

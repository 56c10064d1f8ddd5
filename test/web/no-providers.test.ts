/**
 * A server with no sign-in provider configured: the sign-in page tells the
 * operator how to set one up (with the exact callback URLs), and accounts
 * made with a password sign in with it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext } from 'playwright-core'
import { freePort, startTestServer, type TestServer } from '../helpers/test-server.js'
import { launchChromium, screenshot } from './chromium.js'
import { checkPage, problemsOf } from './page-checks.js'

describe('sign-in with no provider configured', () => {
  let server: TestServer
  let browser: Browser
  let context: BrowserContext

  beforeAll(async () => {
    server = await startTestServer({ env: { HEARTH_RATE_LIMITS: 'on', HEARTH_RATE_SIGNIN_FAILURES: '3' } })
    browser = await launchChromium()
    context = await browser.newContext()
    await context.route((url) => url.hostname !== 'localhost', (route) => route.abort('blockedbyclient'))
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close({ removeData: true })
  })

  it('says how to configure a provider, with the exact callback URLs', async () => {
    const page = await context.newPage()
    await page.goto(`${server.url}/sign-in`)
    expect(await page.locator('[data-provider]').count()).toBe(0)
    expect(await page.textContent('[data-callback=github]')).toBe(`${server.url}/auth/github/callback`)
    expect(await page.textContent('[data-callback=google]')).toBe(`${server.url}/auth/google/callback`)
    const setup = await page.textContent('[data-section=setup]')
    for (const name of ['HEARTH_GITHUB_CLIENT_ID', 'HEARTH_GITHUB_CLIENT_SECRET', 'HEARTH_GOOGLE_CLIENT_ID', 'HEARTH_GOOGLE_CLIENT_SECRET']) {
      expect(setup).toContain(name)
    }
    await screenshot(page, 'no-providers-sign-in-page')
    // The way in comes first; the operator's steps after it.
    expect(await page.$$eval('main section h2', (hs) => hs.map((h) => h.getAttribute('id')))).toEqual(['with-password', 'setup'])
    const axeContext = await browser.newContext({ bypassCSP: true })
    try {
      expect(problemsOf(await checkPage(await axeContext.newPage(), `${server.url}/sign-in`, 'page-sign-in-no-providers'))).toEqual([])
    } finally {
      await axeContext.close()
    }

    const res = await page.goto(`${server.url}/auth/github`)
    expect(res?.status()).toBe(404)
    expect(await page.locator('[data-error=not-configured]').count()).toBe(1)
  })

  it('signs in with the password of an account made by createAccount', async () => {
    const alice = await server.createAccount('alice')
    const page = await context.newPage()
    await page.goto(`${server.url}/sign-in`)
    await page.fill('input[name=identifier]', alice.handle)
    await page.fill('input[name=password]', 'not the password')
    await page.click('form[action="/sign-in/password"] button[type=submit]')
    expect(await page.textContent('.problem')).toContain('do not match')
    expect(await page.locator('[data-field=did]').count()).toBe(0)

    await page.fill('input[name=password]', alice.password)
    await page.click('form[action="/sign-in/password"] button[type=submit]')
    await page.waitForURL((u) => u.pathname === '/account')
    expect(await page.textContent('[data-field=did]')).toBe(alice.did)
    expect(await page.textContent('[data-field=handle]')).toBe(alice.handle)
    expect(await page.locator('[data-link]').count()).toBe(0) // nothing to link on this server
    await screenshot(page, 'no-providers-password-sign-in')
  })

  it('an app password does not sign in to the pages', async () => {
    const bob = await server.createAccount('bob')
    const { data } = await bob.agent.com.atproto.server.createAppPassword({ name: 'client' })
    const page = await context.newPage()
    await page.goto(`${server.url}/sign-in`)
    await page.fill('input[name=identifier]', bob.handle)
    await page.fill('input[name=password]', data.password)
    await page.click('form[action="/sign-in/password"] button[type=submit]')
    expect(await page.textContent('.problem')).toContain('do not match')
    await screenshot(page, 'no-providers-app-password-refused')
  })

  it('failed password sign-ins are limited per account, sharing createSession’s budget', async () => {
    const carol = await server.createAccount('carol')
    const page = await context.newPage()
    await page.goto(`${server.url}/sign-in`)
    const attempt = async (password: string) => {
      await page.fill('input[name=identifier]', carol.handle)
      await page.fill('input[name=password]', password)
      await page.click('form[action="/sign-in/password"] button[type=submit]')
      return (await page.textContent('.problem').catch(() => null)) ?? ''
    }
    expect(await attempt('wrong password 1')).toContain('do not match')
    // One failure through the XRPC door counts against the same budget.
    await expect(server.agent().login({ identifier: carol.handle, password: 'wrong password 2' })).rejects.toThrow()
    expect(await attempt('wrong password 3')).toContain('do not match')
    expect(await attempt(carol.password)).toContain('Too many failed sign-ins')
    expect(await page.locator('[data-field=did]').count()).toBe(0)
    await screenshot(page, 'no-providers-sign-in-rate-limited')
  })
})

describe('cookies on an https public URL', () => {
  let server: TestServer

  beforeAll(async () => {
    const port = await freePort()
    // Served over http on loopback, as behind a TLS-terminating proxy.
    server = await startTestServer({ env: { HEARTH_PUBLIC_URL: `https://localhost:${port}` }, config: { port } })
  })
  afterAll(() => server?.close({ removeData: true }))

  it('are Secure and __Host- prefixed, HttpOnly and SameSite=Lax', async () => {
    const alice = await server.createAccount('alice')
    const page = await fetch(`${server.url}/sign-in`)
    const browserCookie = page.headers.getSetCookie().find((c) => c.startsWith('__Host-hearth_browser='))!
    expect(browserCookie).toMatch(/; HttpOnly/)
    expect(browserCookie).toMatch(/; Secure/)
    expect(browserCookie).toMatch(/; SameSite=Lax/)
    expect(browserCookie).toMatch(/; Path=\//)
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]

    const signedIn = await fetch(`${server.url}/sign-in/password`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Cookie: browserCookie.split(';')[0], Origin: `https://localhost:${new URL(server.url).port}` },
      body: new URLSearchParams({ _csrf: csrf, identifier: alice.handle, password: alice.password }),
    })
    expect(signedIn.status).toBe(303)
    const sessionCookie = signedIn.headers.getSetCookie().find((c) => c.startsWith('__Host-hearth_session='))!
    expect(sessionCookie).toMatch(/; HttpOnly/)
    expect(sessionCookie).toMatch(/; Secure/)
    expect(sessionCookie).toMatch(/; SameSite=Lax/)

    const account = await fetch(`${server.url}/account`, { headers: { Cookie: sessionCookie.split(';')[0] } })
    expect(await account.text()).toContain(alice.did)

    // A post from another origin is refused even with the right token and cookie.
    const crossSite = await fetch(`${server.url}/sign-in/password`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Cookie: browserCookie.split(';')[0], Origin: 'https://evil.example' },
      body: new URLSearchParams({ _csrf: csrf, identifier: alice.handle, password: alice.password }),
    })
    expect(crossSite.status).toBe(403)
  })
})

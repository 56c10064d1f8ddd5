/**
 * Hearth's pages under a prefix the host chose (`pages.prefix: '/hearth'`),
 * with password sign-in turned off on the pages (`pages.passwordSignIn:
 * false`) and GitHub as the only provider, inside the example notes app. In
 * real Chromium a person signs in with GitHub (loopback provider) from the
 * host's page, opens the account page, makes an app password and approves an
 * OAuth app: every link, form, asset and redirect stays under the prefix
 * (or on the protocol's own /oauth and /xrpc), the browser never asks for an
 * unprefixed page path, and nothing answers at the unprefixed page paths.
 * Password sign-in is gone from the pages, but XRPC createSession (apps, app
 * passwords) still works.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serve, type ServerType } from '@hono/node-server'
import type { Browser, Page } from 'playwright-core'
import { AtpAgent } from '@atproto/api'
import { createPds, type Pds } from '../../src/index.js'
import { createNotesApp } from '../../examples/notes-app/notes-app.js'
import { freePort, startTestPlc } from '../helpers/test-server.js'
import { startLocalProviders, type LocalProviders } from '../helpers/oauth-providers.js'
import { launchChromium, screenshot } from '../web/chromium.js'
import { RawOAuthClient } from '../oauth/raw-oauth-client.js'
import type { EmbeddedPlc } from '../../src/identity/embedded-plc.js'

const PREFIX = '/hearth'
const ADA = { id: 5151, login: 'ada-prefixed', email: 'ada@example.com' }
// The host's own routes (examples/notes-app) and the protocol's, which never move.
const HOST_PATHS = /^\/(?:notes|api\/notes|about|callback)?(?:\/|$)/
const PROTOCOL_PATHS = /^\/(?:xrpc|oauth|\.well-known)\//

/** Every same-origin URL a page points at: links, forms, stylesheets, scripts, images, stream sources. */
async function pagePointers(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = []
    for (const a of document.querySelectorAll('a[href]')) out.push((a as HTMLAnchorElement).getAttribute('href')!)
    for (const f of document.querySelectorAll('form')) out.push(f.getAttribute('action') ?? '(no action)')
    for (const l of document.querySelectorAll('link[href]')) out.push(l.getAttribute('href')!)
    for (const s of document.querySelectorAll('script[src], img[src]')) out.push(s.getAttribute('src')!)
    for (const e of document.querySelectorAll('[data-activity-stream]')) out.push(e.getAttribute('data-activity-stream')!)
    return out
  })
}

/** The pointers that are paths on this origin but neither under the prefix nor the protocol's. */
function strays(pointers: string[]): string[] {
  return pointers.filter((p) => !/^https?:/.test(p) && !p.startsWith('#') && !(p === PREFIX || p.startsWith(`${PREFIX}/`) || p.startsWith(`${PREFIX}?`) || PROTOCOL_PATHS.test(p)))
}

describe('Hearth pages under a host-chosen prefix, password sign-in off', () => {
  let plc: EmbeddedPlc
  let providers: LocalProviders
  let dataDir: string
  let pds: Pds
  let server: ServerType
  let port: number
  let url: string
  let browser: Browser
  let page: Page
  let adaDid: string
  /** Paths on this server the browser asked for, in order. */
  const requested: string[] = []

  beforeAll(async () => {
    plc = await startTestPlc()
    port = await freePort()
    url = `http://localhost:${port}`
    // The providers see Hearth's callbacks under the prefix: `${url}/hearth/auth/…/callback`.
    providers = await startLocalProviders({ hearthUrl: `${url}${PREFIX}` })
    browser = await launchChromium()
    const context = await browser.newContext()
    await providers.routeBrowser(context)
    page = await context.newPage()
    page.on('request', (req) => {
      const u = new URL(req.url())
      if (u.port === String(port)) requested.push(u.pathname)
    })
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-prefix-'))
    pds = await createPds({
      dataDir,
      port,
      publicUrl: url,
      plcUrl: plc.url,
      handleDomain: '.test',
      registration: 'closed',
      logLevel: 'silent',
      validateOutput: true,
      github: { clientId: providers.env.HEARTH_GITHUB_CLIENT_ID, clientSecret: providers.env.HEARTH_GITHUB_CLIENT_SECRET },
      pages: { frontPage: false, name: 'Notes', prefix: PREFIX, passwordSignIn: false, cssVariables: { '--accent': '#0a66c2' } },
    })
    const notes = createNotesApp(pds)
    // Where the OAuth app below is sent back to (a loopback client's redirect).
    notes.app.get('/callback', (c) => c.text('back at the app'))
    server = await new Promise((resolve) => {
      const s = serve({ fetch: notes.app.fetch, port, hostname: '127.0.0.1' }, () => resolve(s))
    })
    const account = await pds.accounts.create({ handle: 'ada.test', email: ADA.email, password: 'ada-password-1' })
    adaDid = account.did
    pds.accounts.link(adaDid, { provider: 'github', subject: String(ADA.id), username: ADA.login, email: ADA.email })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    const closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    await pds?.close()
    ;(server as unknown as { closeAllConnections?: () => void })?.closeAllConnections?.()
    await closed
    await providers?.close()
    await plc?.close()
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
  })

  it('serves the pages, assets and sign-in under the prefix only; the unprefixed page paths are the host’s (404 here)', async () => {
    for (const p of ['/sign-in', '/account', '/account/app-passwords', '/account/connected-apps', '/account/settings', '/web/style.css', '/web/pages.js', '/web/brand.css', '/auth/github']) {
      const res = await fetch(`${url}${p}`, { redirect: 'manual' })
      expect([p, res.status]).toEqual([p, 404])
    }
    expect((await fetch(`${url}/sign-out`, { method: 'POST', redirect: 'manual' })).status).toBe(404)
    const signIn = await fetch(`${url}${PREFIX}/sign-in`)
    expect(signIn.status).toBe(200)
    const css = await fetch(`${url}${PREFIX}/web/style.css`)
    expect([css.status, css.headers.get('content-type')]).toEqual([200, 'text/css; charset=utf-8'])
    expect(await (await fetch(`${url}${PREFIX}/web/brand.css`)).text()).toContain('--accent: #0a66c2')
    // A signed-out visitor to a page goes to the prefixed sign-in, and back to the page after.
    const account = await fetch(`${url}${PREFIX}/account/app-passwords`, { redirect: 'manual' })
    expect([account.status, account.headers.get('location')]).toEqual([303, `${PREFIX}/sign-in?next=${encodeURIComponent(`${PREFIX}/account/app-passwords`)}`])
    // The host's helpers point at the prefixed sign-in.
    expect(pds.signInUrl('/notes', { provider: 'github' })).toBe(`${PREFIX}/auth/github?return_to=%2Fnotes`)
    const api = await fetch(`${url}/api/notes`, { redirect: 'manual' })
    expect(api.headers.get('location')).toBe(`${PREFIX}/sign-in?return_to=%2Fapi%2Fnotes`)
    // The GitHub round trip's callback, as registered with the provider, is under the prefix.
    const start = await fetch(`${url}${PREFIX}/auth/github`, { redirect: 'manual' })
    const authorize = new URL(start.headers.get('location')!)
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${url}${PREFIX}/auth/github/callback`)
    // The protocol's routes did not move.
    expect((await fetch(`${url}/xrpc/_health`)).status).toBe(200)
    expect((await fetch(`${url}/.well-known/oauth-authorization-server`)).status).toBe(200)
  })

  it('shows no password form and refuses a posted password, while XRPC createSession still takes one', async () => {
    await page.goto(`${url}${PREFIX}/sign-in`)
    expect(await page.locator('[data-provider]').evaluateAll((els) => els.map((e) => e.getAttribute('data-provider')))).toEqual(['github'])
    expect(await page.locator('input[type=password]').count()).toBe(0)
    expect(await page.locator('form[action$="/sign-in/password"]').count()).toBe(0)
    expect(strays(await pagePointers(page))).toEqual([])
    // A well-formed post (with the page's CSRF token, when the page has a form at all) is still refused.
    const csrfField = page.locator('input[name=_csrf]')
    const csrf = (await csrfField.count()) > 0 ? await csrfField.first().getAttribute('value') : null
    const cookies = (await page.context().cookies(url)).map((c) => `${c.name}=${c.value}`).join('; ')
    const posted = await fetch(`${url}${PREFIX}/sign-in/password`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies, origin: url },
      body: new URLSearchParams({ identifier: 'ada.test', password: 'ada-password-1', ...(csrf ? { _csrf: csrf } : {}) }).toString(),
    })
    expect(posted.status).toBe(403)
    expect(posted.headers.get('set-cookie') ?? '').not.toMatch(/session/i)
    expect(await posted.text()).toContain('data-error="password-sign-in-off"')
    const agent = new AtpAgent({ service: url })
    await agent.login({ identifier: 'ada.test', password: 'ada-password-1' })
    expect(agent.session?.did).toBe(adaDid)
  })

  it("signs in with GitHub from the host's page, through the prefixed pages, and back to the host's page", async () => {
    providers.github.signInAs(ADA)
    await page.goto(`${url}/`)
    await page.click('#sign-in')
    await page.waitForURL((u) => u.pathname === '/notes')
    expect(await page.textContent('[data-did]')).toBe(adaDid)
    expect(requested).toContain(`${PREFIX}/auth/github`)
    expect(requested).toContain(`${PREFIX}/auth/github/callback`)
  })

  it('the account page and its menu keep every link, form and asset under the prefix', async () => {
    await page.goto(`${url}${PREFIX}/account`)
    expect(new URL(page.url()).pathname).toBe(`${PREFIX}/account`)
    expect(await page.textContent('[data-field=signed-in-as]')).toContain('ada.test')
    const pointers = await pagePointers(page)
    expect(pointers).toContain(`${PREFIX}/account/app-passwords`)
    expect(pointers).toContain(`${PREFIX}/web/style.css`)
    expect(pointers).toContain(`${PREFIX}/sign-out`)
    expect(strays(pointers)).toEqual([])
    // The stylesheet really loaded from under the prefix (the page is styled).
    expect(await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim())).toBe('#0a66c2')
    for (const nav of ['Data', 'Scopes', 'Apps', 'Connected apps', 'Activity', 'Handle', 'Sessions', 'Settings', 'Move']) {
      await page.click(`#site-nav a:text-is("${nav}")`)
      expect([nav, new URL(page.url()).pathname.startsWith(`${PREFIX}/account`)]).toEqual([nav, true])
      expect([nav, strays(await pagePointers(page))]).toEqual([nav, []])
    }
    await screenshot(page, 'page-prefix-account')
  })

  it('makes an app password on the prefixed page; it signs in over XRPC', async () => {
    await page.click('#site-nav a:text-is("App passwords")')
    expect(new URL(page.url()).pathname).toBe(`${PREFIX}/account/app-passwords`)
    await page.fill('input[name=name]', 'my phone')
    await Promise.all([page.waitForURL((u) => u.pathname === `${PREFIX}/account/app-passwords`), page.click('form[action$="/account/app-passwords"] button[type=submit]')])
    const password = (await page.textContent('[data-field=new-app-password]'))!.trim()
    expect(password).toMatch(/^[a-z0-9]{4}(-[a-z0-9]{4}){3}$/)
    expect(strays(await pagePointers(page))).toEqual([])
    const agent = new AtpAgent({ service: url })
    await agent.login({ identifier: 'ada.test', password })
    expect(agent.session?.did).toBe(adaDid)
  })

  it('approves an OAuth app on /oauth/authorize (which does not move); the app gets its tokens and shows on the prefixed Connected apps', async () => {
    const redirectUri = `http://127.0.0.1:${port}/callback`
    const clientId = `http://localhost?redirect_uri=${encodeURIComponent(redirectUri)}&scope=${encodeURIComponent('atproto transition:generic')}`
    const client = await RawOAuthClient.create(url, { clientId, redirectUri })
    const par = await client.par({ scope: 'atproto transition:generic' })
    expect(par.status).toBe(201)
    await page.goto(`${url}/oauth/authorize?${new URLSearchParams({ client_id: clientId, request_uri: par.body.request_uri })}`)
    expect(new URL(page.url()).pathname).toBe('/oauth/authorize')
    expect(strays(await pagePointers(page))).toEqual([])
    await Promise.all([page.waitForURL((u) => u.pathname === '/callback'), page.click('[data-action=approve]')])
    const code = new URL(page.url()).searchParams.get('code')!
    const tokens = await client.exchange(code, par.pkce.verifier)
    expect([tokens.status, tokens.body.sub]).toEqual([200, adaDid])
    await page.goto(`${url}${PREFIX}/account/connected-apps`)
    expect(await page.locator('form[action$="/account/connected-apps/revoke"]').count()).toBe(1)
    expect(strays(await pagePointers(page))).toEqual([])
  })

  it('signs out through the prefixed form, back to the prefixed sign-in', async () => {
    await page.goto(`${url}${PREFIX}/account`)
    await Promise.all([page.waitForURL((u) => u.pathname === `${PREFIX}/sign-in`), page.click('#site-nav button[type=submit]')])
  })

  it('the browser never asked for a page path outside the prefix', () => {
    const outside = requested.filter((p) => !(p === PREFIX || p.startsWith(`${PREFIX}/`) || PROTOCOL_PATHS.test(p) || HOST_PATHS.test(p)))
    expect(outside).toEqual([])
    expect(requested.filter((p) => p.startsWith(`${PREFIX}/`)).length).toBeGreaterThan(10)
  })
})

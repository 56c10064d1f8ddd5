/**
 * A person arrives through GitHub or Google, in real Chromium, against
 * local OAuth/OIDC servers: the first sign-in makes the account, the pages
 * show it, app passwords made there work with @atproto/api, and a second
 * provider can be linked but never shared between accounts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { AtpAgent } from '@atproto/api'
import { IdResolver } from '@atproto/identity'
import { freePort, startTestServer, type TestServer } from '../helpers/test-server.js'
import { startLocalProviders, type GitHubUser, type LocalProviders } from '../helpers/oauth-providers.js'
import { launchChromium, screenshot } from './chromium.js'
import { webFlows, type Shown, type WebFlows } from './web-flows.js'

const octocat: GitHubUser = { id: 583231, login: 'octocat', email: 'octocat@example.com' }
const mona: GitHubUser = { id: 9919, login: 'Mona_Lisa', email: null }

describe('signing in with GitHub and Google', () => {
  let server: TestServer
  let providers: LocalProviders
  let browser: Browser
  let web: WebFlows
  let resolver: IdResolver
  // Filled in as the tests go: each builds on the accounts made before it.
  let octocatAccount: Shown
  let janeAccount: Shown

  beforeAll(async () => {
    const port = await freePort()
    providers = await startLocalProviders({ hearthUrl: `http://localhost:${port}` })
    server = await startTestServer({ env: providers.env, config: { port } })
    browser = await launchChromium()
    web = webFlows(browser, server, providers)
    resolver = new IdResolver({ plcUrl: server.plcUrl })
  })
  afterAll(async () => {
    await web?.closeAll()
    await browser?.close()
    await server?.close({ removeData: true })
    await providers?.close()
  })

  /** The DID resolves in the PLC directory to this server and the handle the page shows; the server resolves the handle back. */
  async function expectResolves(shown: Shown) {
    const data = await resolver.did.resolveAtprotoData(shown.did, true)
    expect(data.pds).toBe(server.url)
    expect(data.handle).toBe(shown.handle)
    const back = await server.agent().com.atproto.identity.resolveHandle({ handle: shown.handle })
    expect(back.data.did).toBe(shown.did)
  }

  it('GitHub: the first sign-in makes an account and lands on its page', async () => {
    const before = await web.accountCount()
    const page = await web.newPage()
    octocatAccount = await web.signInWithGitHub(page, octocat)
    expect(octocatAccount.handle).toBe('octocat.test')
    expect(octocatAccount.did).toMatch(/^did:plc:[a-z2-7]{24}$/)
    await expectResolves(octocatAccount)
    expect(await page.textContent('[data-field=server]')).toBe(server.url)
    expect(await page.textContent('[data-field=did-document]')).toContain(`"at://octocat.test"`)
    expect(await page.locator('[data-linked=github]').textContent()).toContain('octocat')
    expect(await web.accountCount()).toBe(before + 1)
    await screenshot(page, 'github-first-sign-in')
  })

  it('Google: the first sign-in makes an account and lands on its page', async () => {
    const before = await web.accountCount()
    const page = await web.newPage()
    janeAccount = await web.signInWithGoogle(page, 'jane')
    expect(janeAccount.handle).toBe('jane.test')
    expect(janeAccount.did).not.toBe(octocatAccount.did)
    await expectResolves(janeAccount)
    expect(await page.locator('[data-linked=google]').textContent()).toContain('jane@example.com')
    expect(await web.accountCount()).toBe(before + 1)
    await screenshot(page, 'google-first-sign-in')
  })

  it('signing in again, in a new browser, reaches the same DID', async () => {
    const before = await web.accountCount()
    expect((await web.signInWithGitHub(await web.newPage(), octocat)).did).toBe(octocatAccount.did)
    const page = await web.newPage()
    expect((await web.signInWithGoogle(page, 'jane')).did).toBe(janeAccount.did)
    expect(await web.accountCount()).toBe(before)
    await screenshot(page, 'google-sign-in-again')
  })

  it('an app password made on the page writes a record with @atproto/api, and the page lists its collection', async () => {
    const page = await web.newPage()
    await web.signInWithGitHub(page, octocat)
    expect(await page.locator('[data-field=no-records]').count()).toBe(1)

    await page.click('a[href="/account/app-passwords"]')
    await page.fill('input[name=name]', 'test client')
    await page.click('form[action="/account/app-passwords"] button[type=submit]')
    const password = (await page.textContent('[data-field=new-app-password]'))!.trim()
    expect(password).toMatch(/^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/)

    const agent = new AtpAgent({ service: server.url })
    await agent.login({ identifier: octocatAccount.handle, password })
    expect(agent.session?.did).toBe(octocatAccount.did)
    await agent.com.atproto.repo.createRecord({
      repo: octocatAccount.did,
      collection: 'app.bsky.feed.post',
      record: { $type: 'app.bsky.feed.post', text: 'written with an app password from the web page', createdAt: new Date().toISOString() },
    })

    // Shown once: the list names it, the password is gone.
    await page.goto(`${server.url}/account/app-passwords`)
    expect(await page.locator('[data-app-password="test client"]').count()).toBe(1)
    expect(await page.locator('[data-field=new-app-password]').count()).toBe(0)
    expect(await page.content()).not.toContain(password)

    await page.goto(`${server.url}/account`)
    expect(await page.getAttribute('[data-collection="app.bsky.feed.post"] [data-count]', 'data-count')).toBe('1')
    await screenshot(page, 'app-password-record-on-account-page')
  })

  it('a revoked app password stops working', async () => {
    const page = await web.newPage()
    await web.signInWithGitHub(page, octocat)
    await page.goto(`${server.url}/account/app-passwords`)
    await page.fill('input[name=name]', 'short-lived')
    await page.click('form[action="/account/app-passwords"] button[type=submit]')
    const password = (await page.textContent('[data-field=new-app-password]'))!.trim()
    await page.click('[data-app-password="short-lived"] button')
    await page.waitForURL((u) => u.pathname === '/account/app-passwords')
    expect(await page.locator('[data-app-password="short-lived"]').count()).toBe(0)
    const agent = new AtpAgent({ service: server.url })
    await expect(agent.login({ identifier: octocatAccount.handle, password })).rejects.toThrow()
    await screenshot(page, 'app-password-revoked')
  })

  it('linking Google to a GitHub account: either one then signs in to it', async () => {
    const page = await web.newPage()
    const monaAccount = await web.signInWithGitHub(page, mona)
    expect(monaAccount.handle).toBe('mona-lisa.test')
    await page.click('[data-link=google]')
    await web.passGoogle(page, 'mona.google')
    await page.waitForURL((u) => u.pathname === '/account')
    expect((await web.shown(page)).did).toBe(monaAccount.did)
    expect(await page.locator('[data-linked=github]').count()).toBe(1)
    expect(await page.locator('[data-linked=google]').textContent()).toContain('mona.google@example.com')
    expect(await page.locator('[data-link]').count()).toBe(0)
    await screenshot(page, 'google-linked-to-github-account')

    const before = await web.accountCount()
    expect((await web.signInWithGoogle(await web.newPage(), 'mona.google')).did).toBe(monaAccount.did)
    expect((await web.signInWithGitHub(await web.newPage(), mona)).did).toBe(monaAccount.did)
    expect(await web.accountCount()).toBe(before)
  })

  it('a second account cannot claim an identity linked to another', async () => {
    const bob = await server.createAccount('bob')
    const page = await web.newPage()
    const shown = await web.signInWithPassword(page, bob.handle, bob.password)
    expect(shown.did).toBe(bob.did)

    providers.github.signInAs(octocat) // already octocat.test's sign-in
    await page.click('[data-link=github]')
    await page.waitForSelector('[data-error=identity-taken]')
    expect(await page.textContent('[data-error] .problem')).toContain('already signs in to another Hearth account')
    await screenshot(page, 'second-account-cannot-claim-identity')

    await page.goto(`${server.url}/account`)
    expect(await page.locator('[data-linked]').count()).toBe(0)
    expect((await web.signInWithGitHub(await web.newPage(), octocat)).did).toBe(octocatAccount.did)

    // Nor through Google: jane's Google sign-in stays jane's.
    await page.goto(`${server.url}/account`)
    await page.click('[data-link=google]')
    await web.passGoogle(page, 'jane')
    await page.waitForSelector('[data-error=identity-taken]')
    expect((await web.signInWithGoogle(await web.newPage(), 'jane')).did).toBe(janeAccount.did)
  })

  it('changing the handle on the page updates the DID document', async () => {
    const page = await web.newPage()
    await web.signInWithGoogle(page, 'jane')
    await page.click('a[href="/account/handle"]')
    await page.fill('input[name=handle]', 'jane-doe')
    await page.click('form[action="/account/handle"] button[type=submit]')
    await page.waitForURL((u) => u.pathname === '/account/handle' && u.search === '?changed=1')
    expect(await page.textContent('[data-field=handle]')).toBe('jane-doe.test')
    await page.goto(`${server.url}/account`)
    const shown = await web.shown(page)
    expect(shown).toEqual({ did: janeAccount.did, handle: 'jane-doe.test' })
    await expectResolves(shown)

    // A taken handle is refused with a message, and nothing changes.
    await page.goto(`${server.url}/account/handle`)
    await page.fill('input[name=handle]', 'octocat')
    await page.click('form[action="/account/handle"] button[type=submit]')
    expect(await page.textContent('.problem')).toContain('already taken')
    expect(await page.textContent('[data-field=handle]')).toBe('jane-doe.test')
    await screenshot(page, 'handle-taken')
  })

  it('web sessions are listed and revocable; sign-out ends the session', async () => {
    const first = await web.newPage()
    const second = await web.newPage()
    const firstAccount = await web.signInWithGitHub(first, { id: 31337, login: 'sessions-person' })
    await web.signInWithGitHub(second, { id: 31337, login: 'sessions-person' })
    expect((await web.shown(second)).did).toBe(firstAccount.did)

    await first.goto(`${server.url}/account/sessions`)
    expect(await first.locator('[data-session]').count()).toBe(2)
    await first.click('[data-current=no] button')
    await first.waitForURL((u) => u.pathname === '/account/sessions')
    expect(await first.locator('[data-session]').count()).toBe(1)
    await screenshot(first, 'sessions-after-revoke')

    // The revoked browser is signed out.
    await second.goto(`${server.url}/account`)
    await second.waitForURL((u) => u.pathname === '/sign-in')

    await first.click('form[action="/sign-out"] button')
    await first.waitForURL((u) => u.pathname === '/sign-in')
    await first.goto(`${server.url}/account`)
    await first.waitForURL((u) => u.pathname === '/sign-in')
    await screenshot(first, 'signed-out')
  })

  it('the session cookie is HttpOnly and SameSite=Lax (not Secure on http)', async () => {
    const page: Page = await web.newPage()
    await web.signInWithGitHub(page, octocat)
    const cookie = (await page.context().cookies()).find((c) => c.name === 'hearth_session')
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false, path: '/' })
    await screenshot(page, 'session-cookie')
  })
})

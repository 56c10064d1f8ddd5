/**
 * Sign-ins that must not work, in real Chromium against local providers:
 * each ends on the error page and makes no account. Also: forms without
 * their CSRF token are refused, and two first sign-ins of one identity
 * racing each other end with one account.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { freePort, startTestServer, type TestServer } from '../helpers/test-server.js'
import { startLocalProviders, type LocalProviders } from '../helpers/oauth-providers.js'
import { launchChromium, screenshot } from './chromium.js'
import { webFlows, type WebFlows } from './web-flows.js'

let providers: LocalProviders
let browser: Browser

beforeAll(async () => {
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
})

/** Posts a form from the page, as a page on this origin would (a navigation, not fetch: the pages' CSP allows no fetch). */
async function postForm(page: Page, action: string, fields: Record<string, string>) {
  await page.evaluate(
    ({ action, fields }) => {
      const form = document.createElement('form')
      form.method = 'post'
      form.action = action
      for (const [name, value] of Object.entries(fields)) {
        const input = document.createElement('input')
        input.type = 'hidden'
        input.name = name
        input.value = value
        form.append(input)
      }
      document.body.append(form)
      form.submit()
    },
    { action, fields },
  )
}

/** The page shows the error page for `kind`. */
async function expectErrorPage(page: Page, kind: string) {
  await page.waitForSelector(`[data-error="${kind}"]`)
  expect(await page.locator('[data-error] .problem').textContent()).toBeTruthy()
}

describe('sign-ins that fail', () => {
  let server: TestServer
  let web: WebFlows

  beforeAll(async () => {
    const port = await freePort()
    providers = await startLocalProviders({ hearthUrl: `http://localhost:${port}` })
    server = await startTestServer({ env: providers.env, config: { port } })
    web = webFlows(browser, server, providers)
  })
  afterAll(async () => {
    await web?.closeAll()
    await server?.close({ removeData: true })
    await providers?.close()
  })

  const startGitHub = (page: Page) => async () => {
    await page.goto(`${server.url}/sign-in`)
    await page.click('[data-provider=github]')
  }

  it('a state that does not match ends on the error page, with no account made', async () => {
    const before = await web.accountCount()
    providers.github.signInAs({ id: 700, login: 'tamperer' })
    const page = await web.newPage()
    const callback = new URL(await web.holdCallback(page, startGitHub(page)))
    callback.searchParams.set('state', 'x'.repeat(43))
    await page.goto(callback.toString())
    await expectErrorPage(page, 'unknown-state')
    await screenshot(page, 'error-state-mismatch')

    // A real state, but issued to another browser.
    const other = await web.newPage()
    const foreign = await web.holdCallback(other, startGitHub(other))
    await page.goto(foreign)
    await expectErrorPage(page, 'other-browser')
    await screenshot(page, 'error-state-from-other-browser')
    expect(await web.accountCount()).toBe(before)
  })

  it('a replayed callback, or a used code under a fresh state, ends on the error page', async () => {
    providers.github.signInAs({ id: 701, login: 'replayer' })
    const page = await web.newPage()
    const callback = await web.holdCallback(page, startGitHub(page))
    await page.goto(callback)
    await page.waitForURL((u) => u.pathname === '/account')
    const did = (await web.shown(page)).did
    const before = await web.accountCount()

    // The same redirect again: its state was spent.
    await page.goto(callback)
    await expectErrorPage(page, 'unknown-state')

    // The old code under a new, valid state: GitHub refuses the code.
    const fresh = new URL(await web.holdCallback(page, startGitHub(page)))
    fresh.searchParams.set('code', new URL(callback).searchParams.get('code')!)
    await page.goto(fresh.toString())
    await expectErrorPage(page, 'provider-error')
    expect(await page.textContent('[data-error] .problem')).toContain('bad_verification_code')
    await screenshot(page, 'error-replayed-code')
    expect(await web.accountCount()).toBe(before)

    // The browser is still signed in as before, nothing else happened.
    await page.goto(`${server.url}/account`)
    expect((await web.shown(page)).did).toBe(did)
  })

  it('a Google code moved under another attempt’s state is refused by Google (PKCE), with no account made', async () => {
    const before = await web.accountCount()
    const page = await web.newPage()
    const first = new URL(
      await web.holdCallback(page, async () => {
        await page.goto(`${server.url}/sign-in`)
        await page.click('[data-provider=google]')
        await web.passGoogle(page, 'replay.google')
      }),
    )
    // Google's session in this browser now skips login and consent.
    const second = new URL(
      await web.holdCallback(page, async () => {
        await page.goto(`${server.url}/sign-in`)
        await page.click('[data-provider=google]')
      }),
    )
    // The first code goes with the second state (and its PKCE verifier): Google refuses it.
    second.searchParams.set('code', first.searchParams.get('code')!)
    await page.goto(second.toString())
    await expectErrorPage(page, 'provider-error')
    expect(await page.textContent('[data-error] .problem')).toContain('invalid_grant')
    await screenshot(page, 'error-google-code-swapped')
    expect(await web.accountCount()).toBe(before)
  })

  it('cancelling at Google ends on the error page, with no account made', async () => {
    const before = await web.accountCount()
    const page = await web.newPage()
    await page.goto(`${server.url}/sign-in`)
    await page.click('[data-provider=google]')
    await page.fill('input[name=login]', 'changed-my-mind')
    await page.fill('input[name=password]', 'any password')
    await page.click('button.login-submit')
    await page.click('a:has-text("Cancel")')
    await expectErrorPage(page, 'cancelled')
    expect(await page.textContent('h1')).toBe('Sign-in cancelled')
    await screenshot(page, 'error-google-consent-cancelled')
    expect(await web.accountCount()).toBe(before)
  })

  it('denying at GitHub ends on the error page, with no account made', async () => {
    const before = await web.accountCount()
    const page = await web.newPage()
    providers.github.signInAs({ id: 702, login: 'denier' })
    providers.github.denyNext()
    await startGitHub(page)()
    await expectErrorPage(page, 'cancelled')
    await screenshot(page, 'error-github-denied')
    expect(await web.accountCount()).toBe(before)
  })

  it('a form posted without its CSRF token is refused and changes nothing', async () => {
    const page = await web.newPage()
    await web.signInWithGitHub(page, { id: 703, login: 'csrf-target' })
    await page.goto(`${server.url}/account/app-passwords`)
    await page.evaluate(() => document.querySelector('form[action="/account/app-passwords"] input[name=_csrf]')!.remove())
    await page.fill('input[name=name]', 'forged')
    await page.click('form[action="/account/app-passwords"] button[type=submit]')
    await expectErrorPage(page, 'csrf')
    expect(await page.textContent('h1')).toBe('Form refused')
    await screenshot(page, 'error-csrf-refused')

    // A token from another session does not do either.
    const other = await web.newPage()
    await web.signInWithGitHub(other, { id: 704, login: 'someone-else' })
    await other.goto(`${server.url}/account/app-passwords`)
    const foreignToken = (await other.getAttribute('input[name=_csrf]', 'value'))!
    await postForm(page, '/account/app-passwords', { _csrf: foreignToken, name: 'forged-2' })
    await expectErrorPage(page, 'csrf')

    await page.goto(`${server.url}/account/app-passwords`)
    expect(await page.locator('[data-app-password]').count()).toBe(0)

    // Signed out, the password form needs its token too.
    const bob = await server.createAccount('csrfbob')
    const anonymous = await web.newPage()
    await anonymous.goto(`${server.url}/sign-in`)
    await anonymous.evaluate(() => document.querySelector('form[action="/sign-in/password"] input[name=_csrf]')!.remove())
    await anonymous.fill('input[name=identifier]', bob.handle)
    await anonymous.fill('input[name=password]', bob.password)
    await anonymous.click('form[action="/sign-in/password"] button[type=submit]')
    await expectErrorPage(anonymous, 'csrf')
    await anonymous.goto(`${server.url}/account`)
    await anonymous.waitForURL((u) => u.pathname === '/sign-in')
  })

  it('two first sign-ins of one identity racing each other make one account', async () => {
    const before = await web.accountCount()
    providers.github.signInAs({ id: 705, login: 'racer' })
    const a = await web.newPage()
    const b = await web.newPage()
    const [callbackA, callbackB] = [await web.holdCallback(a, startGitHub(a)), await web.holdCallback(b, startGitHub(b))]
    await Promise.all([a.goto(callbackA), b.goto(callbackB)])
    await Promise.all([a.waitForURL((u) => u.pathname === '/account'), b.waitForURL((u) => u.pathname === '/account')])
    const [shownA, shownB] = [await web.shown(a), await web.shown(b)]
    expect(shownA.did).toBe(shownB.did)
    expect(shownA.handle).toBe('racer.test')
    expect(await web.accountCount()).toBe(before + 1)
    await screenshot(a, 'race-browser-a')
    await screenshot(b, 'race-browser-b')
  })
})

describe('an expired sign-in', () => {
  let server: TestServer
  let web: WebFlows
  let localProviders: LocalProviders

  beforeAll(async () => {
    const port = await freePort()
    localProviders = await startLocalProviders({ hearthUrl: `http://localhost:${port}` })
    server = await startTestServer({ env: { ...localProviders.env, HEARTH_SIGN_IN_STATE_TTL: '1' }, config: { port } })
    web = webFlows(browser, server, localProviders)
  })
  afterAll(async () => {
    await web?.closeAll()
    await server?.close({ removeData: true })
    await localProviders?.close()
  })

  it('ends on the error page, with no account made', async () => {
    const before = await web.accountCount()
    localProviders.github.signInAs({ id: 800, login: 'slowpoke' })
    const page = await web.newPage()
    const callback = await web.holdCallback(page, async () => {
      await page.goto(`${server.url}/sign-in`)
      await page.click('[data-provider=github]')
    })
    await new Promise((r) => setTimeout(r, 1500)) // past the one-second lifetime of the state
    await page.goto(callback)
    await page.waitForSelector('[data-error=expired]')
    expect(await page.textContent('h1')).toBe('Sign-in expired')
    await screenshot(page, 'error-expired-state')
    expect(await web.accountCount()).toBe(before)
  })
})

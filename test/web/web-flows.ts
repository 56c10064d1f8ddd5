/**
 * What a person does in the browser, step by step, for the web-page tests:
 * sign in through the local "GitHub" and "Google", read what the account
 * page shows, hold a provider's redirect back to Hearth to replay or alter
 * it, and count the accounts the server has.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { TestServer } from '../helpers/test-server.js'
import type { GitHubUser, LocalProviders } from '../helpers/oauth-providers.js'

export interface WebFlows {
  /** A fresh browser (own cookies) whose provider traffic goes to the local servers. */
  newPage(): Promise<Page>
  /** Signs in with "GitHub" as `user`, from the sign-in page; ends on /account. */
  signInWithGitHub(page: Page, user: GitHubUser): Promise<Shown>
  /** Signs in with "Google" as `<login>@example.com`, through its login and consent pages; ends on /account. */
  signInWithGoogle(page: Page, login: string): Promise<Shown>
  /** Google's login and consent pages, after Hearth has sent the browser there. */
  passGoogle(page: Page, login: string): Promise<void>
  /** Signs in with a password on the sign-in page; ends on /account. */
  signInWithPassword(page: Page, identifier: string, password: string): Promise<Shown>
  /** What the account page shows. */
  shown(page: Page): Promise<Shown>
  /** Runs `start` with the provider's redirect back to Hearth held, and returns that redirect's URL. */
  holdCallback(page: Page, start: () => Promise<void>): Promise<string>
  /** How many accounts the server has (com.atproto.sync.listRepos). */
  accountCount(): Promise<number>
  closeAll(): Promise<void>
}

export interface Shown {
  did: string
  handle: string
}

const onAccountPage = (url: URL) => url.pathname === '/account'

export function webFlows(browser: Browser, server: TestServer, providers: LocalProviders): WebFlows {
  const contexts: BrowserContext[] = []
  const flows: WebFlows = {
    async newPage() {
      const context = await browser.newContext()
      contexts.push(context)
      await providers.routeBrowser(context)
      return context.newPage()
    },

    async signInWithGitHub(page, user) {
      providers.github.signInAs(user)
      await page.goto(`${server.url}/sign-in`)
      await page.click('[data-provider=github]')
      await page.waitForURL(onAccountPage)
      return flows.shown(page)
    },

    async signInWithGoogle(page, login) {
      await page.goto(`${server.url}/sign-in`)
      await page.click('[data-provider=google]')
      await flows.passGoogle(page, login)
      await page.waitForURL(onAccountPage)
      return flows.shown(page)
    },

    async passGoogle(page, login) {
      await page.fill('input[name=login]', login)
      await page.fill('input[name=password]', 'any password')
      await page.click('button.login-submit')
      await page.click('button:has-text("Continue")')
    },

    async signInWithPassword(page, identifier, password) {
      await page.goto(`${server.url}/sign-in`)
      await page.fill('input[name=identifier]', identifier)
      await page.fill('input[name=password]', password)
      await page.click('form[action="/sign-in/password"] button[type=submit]')
      await page.waitForURL(onAccountPage)
      return flows.shown(page)
    },

    async shown(page) {
      return {
        did: (await page.textContent('[data-field=did]'))!.trim(),
        handle: (await page.textContent('[data-field=handle]'))!.trim(),
      }
    },

    async holdCallback(page, start) {
      providers.holdNextCallback()
      try {
        await start()
        const held = await page.waitForSelector('#held')
        return (await held.getAttribute('href'))!
      } finally {
        providers.holdNextCallback(false)
      }
    },

    async accountCount() {
      const res = await server.agent().com.atproto.sync.listRepos({ limit: 1000 })
      return res.data.repos.length
    },

    async closeAll() {
      await Promise.all(contexts.map((c) => c.close()))
    },
  }
  return flows
}

/**
 * One official-client flow, run by each client version's test file: against
 * Hearth, in real Chromium, the app's metadata document is served by the
 * test, the person is new and arrives through GitHub (the loopback provider)
 * on the authorization page, approves, and the app's `Agent` on the session
 * it got creates a post and reads it back; asking again skips consent; the
 * connected-apps page lists the app and revoking it ends its tokens.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { Agent } from '@atproto/api'
import type { NodeOAuthClient, NodeOAuthClientOptions } from '@atproto/oauth-client-node'
import { launchChromium, screenshot } from '../web/chromium.js'
import { webFlows, type WebFlows } from '../web/web-flows.js'
import { startOAuthRig, type OAuthRig, type RegisteredApp } from './oauth-rig.js'

/** What the flow uses of a client version (0.3 and 0.5 agree on it). */
type OfficialClient = Pick<NodeOAuthClient, 'authorize' | 'callback'>

export interface OfficialClientFlow {
  /** Names the registered app (and its logo host). */
  name: string
  /** The GitHub login of the person signing in (and so the handle). */
  login: string
  /** Screenshot names end with this. */
  shotSuffix: string
  /** The version's NodeOAuthClient class (loaded lazily: the newest does not load on Node 20). */
  loadClient: () => Promise<new (options: NodeOAuthClientOptions) => OfficialClient>
}

function memoryStore<T>() {
  const m = new Map<string, T>()
  return { set: async (k: string, v: T) => void m.set(k, v), get: async (k: string) => m.get(k), del: async (k: string) => void m.delete(k) }
}

/** Registers the flow's hooks and test in the calling `describe`. */
export function officialClientFlow(o: OfficialClientFlow): void {
  let rig: OAuthRig
  let browser: Browser
  let web: WebFlows
  let app: RegisteredApp
  let client: OfficialClient

  beforeAll(async () => {
    rig = await startOAuthRig()
    browser = await launchChromium()
    web = webFlows(browser, rig.server, rig.providers)
    app = rig.registerApp(o.name, { client_name: 'Official Client Test', logo_uri: `https://${o.name}.apps.test/logo.png` })
    const NodeOAuthClient = await o.loadClient()
    client = new NodeOAuthClient({
      clientMetadata: app.metadata as never,
      stateStore: memoryStore(),
      sessionStore: memoryStore(),
      handleResolver: rig.server.url,
      plcDirectoryUrl: rig.server.plcUrl,
      allowHttp: true,
    })
  })
  afterAll(async () => {
    await web?.closeAll()
    await browser?.close()
    await rig?.close()
  })

  it('PAR, sign-in with GitHub on the way, approval, tokens; the Agent posts and reads back', async () => {
    const authorizeUrl = await client.authorize(rig.server.url, { scope: 'atproto transition:generic', state: 'app-state-1' })
    expect(authorizeUrl.origin).toBe(rig.server.url)
    expect(authorizeUrl.pathname).toBe('/oauth/authorize')

    const page = await web.newPage()
    let landed: URL | undefined
    await rig.routeApps(page.context(), (url) => (landed = url))
    rig.providers.github.signInAs({ id: 771001, login: o.login, email: `${o.login}@example.com` })
    await page.goto(authorizeUrl.toString())
    // Not signed in: the sign-in page, then GitHub, then back on the authorization page.
    await page.waitForURL((u) => u.pathname === '/sign-in')
    await page.click('[data-provider=github]')
    await page.waitForURL((u) => u.pathname === '/oauth/authorize')
    expect(await page.textContent('[data-field=app-name]')).toBe('Official Client Test')
    expect(await page.textContent('[data-field=account]')).toBe(`${o.login}.test`)
    expect(await page.locator('[data-field=unverified]').count()).toBe(1)
    expect(await page.textContent('[data-scope="transition:generic"]')).toContain('app password')
    await screenshot(page, `oauth-authorize${o.shotSuffix}`)
    await page.click('[data-action=approve]')
    await page.waitForSelector('#landed')
    expect(landed).toBeDefined()
    expect(`${landed!.origin}${landed!.pathname}`).toBe(app.redirectUri)
    expect(landed!.searchParams.get('iss')).toBe(rig.server.url)

    const { session, state } = await client.callback(landed!.searchParams)
    expect(state).toBe('app-state-1')
    expect(session.did).toMatch(/^did:plc:/)

    const agent = new Agent(session)
    const created = await agent.com.atproto.repo.createRecord({
      repo: session.did,
      collection: 'app.bsky.feed.post',
      record: { $type: 'app.bsky.feed.post', text: 'hello through OAuth', createdAt: new Date().toISOString() },
    })
    const read = await agent.com.atproto.repo.getRecord({ repo: session.did, collection: 'app.bsky.feed.post', rkey: created.data.uri.split('/').pop()! })
    expect((read.data.value as { text: string }).text).toBe('hello through OAuth')
    const me = await agent.com.atproto.server.getSession()
    expect(me.data.did).toBe(session.did)
    expect(me.data.handle).toBe(`${o.login}.test`)

    // The same app asking again with the same permissions: no consent page, straight back with a code.
    const again = await client.authorize(rig.server.url, { scope: 'atproto transition:generic' })
    landed = undefined
    // (Sent from the page, as an app's link would: a redirect out of page.goto skips the context's routes.)
    await page.evaluate((href) => void (window.location.href = href), again.toString())
    await page.waitForSelector('#landed')
    expect(landed!.searchParams.get('code')).toBeTruthy()
    const second = await client.callback(landed!.searchParams)
    expect(second.session.did).toBe(session.did)

    // Connected apps: the app is listed with its permissions; revoking it there ends its tokens at once.
    await page.goto(`${rig.server.url}/account/connected-apps`)
    const rows = page.locator(`[data-client="${app.clientId}"]`)
    // One: the client revoked its first session itself when the second one replaced it.
    expect(await rows.count()).toBe(1)
    expect(await rows.first().textContent()).toContain('Official Client Test')
    expect(await rows.first().locator('[data-scope="transition:generic"]').count()).toBe(1)
    await screenshot(page, `oauth-connected-apps${o.shotSuffix}`)
    while ((await rows.count()) > 0) {
      await rows.first().locator('[data-action=revoke]').click()
      await page.waitForLoadState()
    }
    expect(await page.locator('[data-field=no-apps]').count()).toBe(1)
    const after = await second.session.fetchHandler('/xrpc/com.atproto.server.getSession', { method: 'GET' })
    expect(after.status).toBe(401)
    expect((await after.json()).error).toBe('invalid_token')
  }, 120_000)
}

/**
 * The person's pages, in real Chromium against a whole Hearth (local PLC,
 * local "GitHub" and "Google"): every page fits a 390 px phone and a 1280 px
 * desktop and passes axe-core; the data browser goes from a collection to a
 * record with an image and follows links between records; live activity
 * shows a write and an app's scope read as they happen; sign-in returns to
 * the approval link asked for; providers link and unlink (never the last
 * way in); a password set on the page works with @atproto/api; the CAR
 * download verifies with @atproto/repo; deleting the account ends every
 * session and the repository answers as gone.
 */
import fs from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { AtpAgent } from '@atproto/api'
import { IdResolver } from '@atproto/identity'
import { verifyRepoCar } from '@atproto/repo'
import { unzipSync, strFromU8 } from 'fflate'
import { freePort, startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'
import { startLocalProviders, type GitHubUser, type LocalProviders } from '../helpers/oauth-providers.js'
import { TestApp } from '../scope/test-app.js'
import { ingest, ownerCall } from '../scope/owner.js'
import { launchChromium, screenshot } from './chromium.js'
import { webFlows, type WebFlows } from './web-flows.js'
import { checkPage, problemsOf } from './page-checks.js'

// A 2×2 PNG (red, green, blue, white).
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==',
  'base64',
)
const SCOPE = 'instagram.posts'
const octo: GitHubUser = { id: 424242, login: 'octo', email: 'octo@example.com' }

describe('the person’s pages', () => {
  let server: TestServer
  let providers: LocalProviders
  let browser: Browser
  let web: WebFlows
  let alice: TestAccount
  let app: TestApp
  const contexts: BrowserContext[] = []
  const state: { postUri?: string; likeUri?: string; requestId?: string; grantId?: string } = {}

  /** A fresh browser (own cookies) that lets axe in (CSP bypassed) and sends provider traffic to the local servers. */
  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ bypassCSP: true, acceptDownloads: true })
    contexts.push(context)
    await providers.routeBrowser(context)
    return context.newPage()
  }

  async function signInWithPassword(page: Page, account: { handle: string; password: string }, start = `${server.url}/sign-in`) {
    await page.goto(start)
    await page.fill('input[name=identifier]', account.handle)
    await page.fill('input[name=password]', account.password)
    await Promise.all([page.waitForNavigation(), page.click('form[action="/sign-in/password"] button[type=submit]')])
  }

  beforeAll(async () => {
    const port = await freePort()
    providers = await startLocalProviders({ hearthUrl: `http://localhost:${port}` })
    server = await startTestServer({
      env: { ...providers.env, HEARTH_SERVER_NAME: 'Harbour Data', HEARTH_SERVER_DESCRIPTION: 'Personal data for the Harbour co-op.' },
      config: { port },
    })
    browser = await launchChromium()
    web = webFlows(browser, server, providers)
    alice = await server.createAccount('alice')

    // A post with an image, and a like that points at it.
    const upload = await alice.agent.uploadBlob(PNG, { encoding: 'image/png' })
    const post = await alice.agent.com.atproto.repo.createRecord({
      repo: alice.did,
      collection: 'app.bsky.feed.post',
      record: {
        $type: 'app.bsky.feed.post',
        text: 'A picture from the harbour',
        createdAt: new Date().toISOString(),
        embed: { $type: 'app.bsky.embed.images', images: [{ alt: 'harbour', image: upload.data.blob }] },
      },
    })
    state.postUri = post.data.uri
    const like = await alice.agent.com.atproto.repo.createRecord({
      repo: alice.did,
      collection: 'app.bsky.feed.like',
      record: { $type: 'app.bsky.feed.like', subject: { uri: post.data.uri, cid: post.data.cid }, createdAt: new Date().toISOString() },
    })
    state.likeUri = like.data.uri

    // Scope records with long, nested JSON; an app with a grant to read them.
    await ingest(server.url, alice, SCOPE, [
      { caption: 'boats', location: { name: 'Harbour', lat: '54.1', lon: '-3.2' }, tags: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'] },
      { caption: 'nets', comments: [{ author: 'bob', text: 'nice' }, { author: 'eve', text: 'wow' }] },
    ])
    app = await TestApp.register(server.plcUrl, 'notes')
    const grant = await ownerCall(server.url, alice, 'dev.hearth.grant.create', { body: { grantee: app.did, scopes: [SCOPE] } })
    state.grantId = grant.json.id ?? grant.json.grant?.id
    const request = await app.call(server.url, 'dev.hearth.grant.requestAccess', { body: { scopes: [SCOPE], reason: 'Notes shows your posts.' } })
    state.requestId = request.json.id
  })

  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close()))
    await web?.closeAll()
    await browser?.close()
    await server?.close({ removeData: true })
    await providers?.close()
  })

  it('the front door names the server, leads to sign-in and lists the developer addresses', async () => {
    const page = await newPage()
    await page.goto(`${server.url}/`)
    expect(await page.textContent('[data-field=server-name]')).toBe('Harbour Data')
    expect(await page.textContent('[data-field=server-description]')).toBe('Personal data for the Harbour co-op.')
    expect(await page.title()).toBe('Welcome · Harbour Data')
    expect(await page.getAttribute('[data-link=describe-server]', 'href')).toBe('/xrpc/com.atproto.server.describeServer')
    expect(await page.textContent('[data-link=firehose]')).toBe(`${server.url.replace('http', 'ws')}/xrpc/com.atproto.sync.subscribeRepos`)
    await page.click('[data-field=sign-in]')
    await page.waitForURL((u) => u.pathname === '/sign-in')
    // Ways to sign in come first; no operator hints when providers are set up.
    expect(await page.locator('[data-provider=github]').count()).toBe(1)
    expect(await page.locator('[data-section=setup]').count()).toBe(0)
    const order = await page.$$eval('main section h2', (hs) => hs.map((h) => h.textContent))
    expect(order[0]).toBe('With an account you already have')
  })

  it('browses from a collection to a record with an image, and follows a link between records', async () => {
    const page = await newPage()
    await signInWithPassword(page, alice)
    await page.click('a[href="/account/data/app.bsky.feed.like"]')
    await page.waitForURL((u) => u.pathname === '/account/data/app.bsky.feed.like')
    const likeRkey = state.likeUri!.split('/').pop()!
    await page.click(`[data-rkey="${likeRkey}"] a`)
    // The like's subject is a link inside the browser, to the post.
    await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/account/data/app.bsky.feed.post/')), page.click('a[data-record-link]')])
    const post = await alice.agent.com.atproto.repo.getRecord({ repo: alice.did, collection: 'app.bsky.feed.post', rkey: state.postUri!.split('/').pop()! })
    expect(await page.textContent('[data-field=uri]')).toBe(state.postUri)
    expect(await page.textContent('[data-field=cid]')).toBe(post.data.cid)
    expect(await page.textContent('[data-field=rev]')).toMatch(/^[a-z2-7]{13}$/)
    expect(await page.textContent('[data-field=json]')).toContain('A picture from the harbour')
    const img = page.locator('[data-file] img')
    await img.waitFor()
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth), { timeout: 10_000 }).toBe(2)
    await screenshot(page, 'data-record-with-image')

    // The collection list: newest first, counted with the right plural.
    await page.goto(`${server.url}/account/data/app.bsky.feed.post`)
    expect(await page.textContent('[data-field=total]')).toContain('1 record,')
  })

  it('scope records fold long JSON and find records by key', async () => {
    const page = await newPage()
    await signInWithPassword(page, alice)
    await page.goto(`${server.url}/account/scopes/${SCOPE}`)
    expect(await page.textContent('[data-field=total]')).toContain('2 records')
    // The ten tags are folded until asked for.
    const tags = page.locator('details[data-key=tags]')
    expect(await tags.evaluate((el) => (el as HTMLDetailsElement).open)).toBe(false)
    expect(await page.locator('h1 code').evaluate((el) => getComputedStyle(el).fontSize)).toBe(await page.locator('h1').evaluate((el) => getComputedStyle(el).fontSize))
    await page.fill('input[name=key]', 'author')
    await expect.poll(() => page.locator('[data-record]:not([hidden])').count()).toBe(1)
    expect(await page.textContent('[data-search-status]')).toBe('2 keys in 1 record on this page')
    expect(await page.locator('[data-record]:not([hidden]) .hit').first().isVisible()).toBe(true)
    await screenshot(page, 'scope-records-key-search')
    await page.fill('input[name=key]', '')
    await expect.poll(() => page.locator('[data-record]:not([hidden])').count()).toBe(2)
  })

  it('live activity shows a write made through XRPC and an app’s scope read as they happen', async () => {
    const page = await newPage()
    await signInWithPassword(page, alice)
    await page.goto(`${server.url}/account/activity`)
    // The stored history is there on load: the first commits, the ingest.
    expect(await page.locator('[data-activity-stream] li[data-kind=commit]').count()).toBeGreaterThan(2)
    await page.waitForSelector('[data-live-status]:has-text("Live")')

    const written = await alice.agent.com.atproto.repo.createRecord({
      repo: alice.did,
      collection: 'app.bsky.feed.post',
      record: { $type: 'app.bsky.feed.post', text: 'live!', createdAt: new Date().toISOString() },
    })
    const path = `app.bsky.feed.post/${written.data.uri.split('/').pop()}`
    await page.waitForSelector(`[data-activity-stream] li[data-kind=commit]:has-text("created ${path}")`, { timeout: 15_000 })

    const read = await app.call(server.url, 'dev.hearth.scope.listRecords', { params: { repo: alice.did, scope: SCOPE } })
    expect(read.status).toBe(200)
    const line = page.locator(`[data-activity-stream] li[data-kind=read]:has-text("notes.apps.test read scope ${SCOPE}")`)
    await line.first().waitFor({ timeout: 15_000 })
    expect(await line.first().textContent()).toContain('listRecords · 2 records')
    await screenshot(page, 'activity-live')
    // The newest is on top.
    expect(await page.locator('[data-activity-stream] li').first().getAttribute('data-kind')).toBe('read')
  })

  it('the event stream needs the web session', async () => {
    const res = await fetch(`${server.url}/account/activity/stream`)
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ error: 'AuthRequired' })
  })

  it('signed out, an approval link goes through sign-in (password or GitHub) and back to the approval', async () => {
    const approval = `/account/requests/${state.requestId}`
    const page = await newPage()
    await page.goto(`${server.url}${approval}`)
    await page.waitForURL((u) => u.pathname === '/sign-in')
    expect(new URL(page.url()).searchParams.get('next')).toBe(approval)
    await signInWithPassword(page, alice, page.url())
    expect(new URL(page.url()).pathname).toBe(approval)
    expect(await page.textContent('[data-field=app]')).toBe(app.did)
    await screenshot(page, 'return-to-approval')

    // Through GitHub: the return path rides the round trip.
    const viaGitHub = await newPage()
    providers.github.signInAs({ id: 777, login: 'returner', email: null })
    await viaGitHub.goto(`${server.url}/account/apps`)
    await viaGitHub.waitForURL((u) => u.pathname === '/sign-in')
    await viaGitHub.click('[data-provider=github]')
    await viaGitHub.waitForURL((u) => u.pathname === '/account/apps')
  })

  it('refuses absolute and protocol-relative return paths', async () => {
    for (const next of ['https://evil.example/x', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)']) {
      const page = await newPage()
      await page.goto(`${server.url}/sign-in?next=${encodeURIComponent(next)}`)
      expect(await page.locator('input[name=next]').count()).toBe(0)
      await signInWithPassword(page, alice, page.url())
      expect(page.url()).toBe(`${server.url}/account`)
    }
    // Posted by hand, the field is checked again on the server.
    const page = await newPage()
    await page.goto(`${server.url}/sign-in`)
    await page.evaluate(() => {
      const input = document.createElement('input')
      input.type = 'hidden'
      input.name = 'next'
      input.value = '//evil.example/'
      document.querySelector('form[action="/sign-in/password"]')!.append(input)
    })
    await signInWithPassword(page, alice, page.url())
    expect(page.url()).toBe(`${server.url}/account`)
  })

  it('links and unlinks a provider, never the last way in; a password set on the page works with @atproto/api', async () => {
    const page = await newPage()
    const shown = await web.signInWithGitHub(page, octo)
    await page.goto(`${server.url}/account/settings`)
    // GitHub is the only way in: no unlink button, and the server refuses one anyway.
    expect(await page.locator('[data-unlink]').count()).toBe(0)
    expect(await page.locator('[data-field=last-way-in]').count()).toBe(1)
    const csrf = await page.getAttribute('form[action="/account/password"] input[name=_csrf]', 'value')
    const refused = await page.evaluate(async (token) => {
      const res = await fetch('/account/sign-ins/unlink', { method: 'POST', body: new URLSearchParams({ _csrf: token!, provider: 'github' }) })
      return res.status
    }, csrf)
    expect(refused).toBe(409)

    // Link Google, then unlink it.
    await page.click('[data-link=google]')
    await web.passGoogle(page, 'octo-google')
    await page.waitForURL((u) => u.pathname === '/account/settings')
    expect(await page.locator('[data-linked=google]').textContent()).toContain('octo-google@example.com')
    await page.click('[data-unlink=google]')
    await page.waitForURL((u) => u.searchParams.get('done') === 'unlinked')
    expect(await page.locator('[data-linked=google]').count()).toBe(0)
    expect(await page.locator('[data-linked=github]').count()).toBe(1)
    await screenshot(page, 'settings-after-unlink')

    // Set a password (none yet: no current one asked), then use it from a standard client.
    expect(await page.locator('input[name=current]').count()).toBe(0)
    await page.fill('input[name=password]', 'a long new password')
    await page.fill('input[name=confirm]', 'a long new password')
    await page.click('form[action="/account/password"] button[type=submit]')
    await page.waitForURL((u) => u.searchParams.get('done') === 'password-set')
    const agent = new AtpAgent({ service: server.url })
    await agent.login({ identifier: shown.handle, password: 'a long new password' })
    expect(agent.session?.did).toBe(shown.did)

    // Changing it asks for the current one.
    await page.fill('input[name=current]', 'not it')
    await page.fill('input[name=password]', 'another long password')
    await page.fill('input[name=confirm]', 'another long password')
    await page.click('form[action="/account/password"] button[type=submit]')
    expect(await page.textContent('[data-field=problem]')).toContain('current password is not right')
    await expect(new AtpAgent({ service: server.url }).login({ identifier: shown.handle, password: 'another long password' })).rejects.toThrow()

    // With a password, GitHub may go too.
    await page.goto(`${server.url}/account/settings`)
    await page.click('[data-unlink=github]')
    await page.waitForURL((u) => u.searchParams.get('done') === 'unlinked')
    expect(await page.locator('[data-linked]').count()).toBe(0)
  })

  it('downloads the repository as a CAR that @atproto/repo verifies, and the scopes as a ZIP of JSON files', async () => {
    const page = await newPage()
    await signInWithPassword(page, alice)
    await page.goto(`${server.url}/account/settings`)
    const [car] = await Promise.all([page.waitForEvent('download'), page.click('[data-export=car]')])
    const carBytes = fs.readFileSync((await car.path())!)
    const key = await new IdResolver({ plcUrl: server.plcUrl }).did.resolveAtprotoKey(alice.did, true)
    const verified = await verifyRepoCar(carBytes, alice.did, key)
    const paths = verified.creates.map((c) => `${c.collection}/${c.rkey}`)
    expect(paths).toContain(state.postUri!.split('/').slice(-2).join('/'))
    expect(paths).toContain(state.likeUri!.split('/').slice(-2).join('/'))

    const [zip] = await Promise.all([page.waitForEvent('download'), page.click('[data-export=scopes]')])
    const files = unzipSync(fs.readFileSync((await zip.path())!))
    const scopeFile = JSON.parse(strFromU8(files[`${SCOPE}.json`]))
    expect(scopeFile.scope).toBe(SCOPE)
    expect(scopeFile.records.map((r: { value: { data: { caption: string } } }) => r.value.data.caption).sort()).toEqual(['boats', 'nets'])
    expect(Object.keys(files)).toContain('README.txt')
  })

  it('deactivates and reactivates', async () => {
    const bob = await server.createAccount('bob')
    const page = await newPage()
    await signInWithPassword(page, bob)
    await page.goto(`${server.url}/account/settings`)
    await page.click('[data-status-action=deactivate]')
    await page.waitForURL((u) => u.searchParams.get('done') === 'deactivated')
    expect((await server.agent().com.atproto.sync.getRepoStatus({ did: bob.did })).data).toMatchObject({ active: false, status: 'deactivated' })
    await screenshot(page, 'settings-deactivated')
    await page.click('[data-status-action=reactivate]')
    await page.waitForURL((u) => u.searchParams.get('done') === 'reactivated')
    expect((await server.agent().com.atproto.sync.getRepoStatus({ did: bob.did })).data.active).toBe(true)
  })

  it('every page fits 390 px and 1280 px and passes axe-core', async () => {
    const page = await newPage()
    await signInWithPassword(page, alice)
    const postRkey = state.postUri!.split('/').pop()!
    const pages: [string, string][] = [
      ['/', 'front-door'],
      ['/account', 'account'],
      ['/account/data', 'data'],
      ['/account/data/app.bsky.feed.post', 'data-collection'],
      [`/account/data/app.bsky.feed.post/${postRkey}`, 'data-record'],
      ['/account/scopes', 'scopes'],
      [`/account/scopes/${SCOPE}`, 'scope-records'],
      ['/account/apps', 'apps'],
      [`/account/apps/${state.grantId}`, 'grant'],
      [`/account/requests/${state.requestId}`, 'approve'],
      ['/account/activity', 'activity'],
      ['/account/app-passwords', 'app-passwords'],
      ['/account/handle', 'handle'],
      ['/account/sessions', 'sessions'],
      ['/account/settings', 'settings'],
      ['/account/delete', 'delete'],
      ['/account/data/com.example.nothing', 'not-found'],
    ]
    const problems: string[] = []
    for (const [path, name] of pages) {
      for (const p of problemsOf(await checkPage(page, `${server.url}${path}`, `page-${name}`))) problems.push(`${path} ${p}`)
    }
    // A freshly made app password, shown once with its copy button.
    await page.goto(`${server.url}/account/app-passwords`)
    await page.fill('input[name=name]', 'phone')
    await page.click('form[action="/account/app-passwords"] button[type=submit]')
    await page.locator('[data-copy=new-app-password]').waitFor({ state: 'visible' })
    for (const p of problemsOf(await checkPage(page, page.url(), 'page-app-password-created'))) problems.push(`app password shown: ${p}`)

    // Signed out: the front door and sign-in (with and without a return path).
    const visitor = await newPage()
    for (const [path, name] of [
      ['/', 'front-door-visitor'],
      ['/sign-in', 'sign-in'],
      [`/sign-in?next=${encodeURIComponent('/account/activity')}`, 'sign-in-return'],
    ] as const) {
      for (const p of problemsOf(await checkPage(visitor, `${server.url}${path}`, `page-${name}`))) problems.push(`${path} ${p}`)
    }
    expect(problems).toEqual([])
  }, 300_000) // ~40 page loads with axe each: slow on a loaded machine

  it('signs in and makes an app password with the keyboard alone', async () => {
    const page = await newPage()
    await page.goto(`${server.url}/sign-in`)
    const tabTo = async (selector: string) => {
      for (let i = 0; i < 25; i++) {
        await page.keyboard.press('Tab')
        if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return
      }
      throw new Error(`Tab never reached ${selector}`)
    }
    await tabTo('input[name=identifier]')
    await page.keyboard.type(alice.handle)
    await tabTo('input[name=password]')
    await page.keyboard.type(alice.password)
    await Promise.all([page.waitForURL((u) => u.pathname === '/account'), page.keyboard.press('Enter')])
    await page.goto(`${server.url}/account/app-passwords`)
    await tabTo('input[name=name]')
    await page.keyboard.type('keyboard')
    await tabTo('form[action="/account/app-passwords"] button[type=submit]')
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')])
    await page.locator('[data-field=new-app-password]').waitFor()
    // The copy button is reachable too.
    await tabTo('[data-copy=new-app-password]')
  })

  it('on a phone the page links sit behind a Menu button that the keyboard opens', async () => {
    const page = await newPage()
    await signInWithPassword(page, alice)
    await page.setViewportSize({ width: 390, height: 800 })
    await page.goto(`${server.url}/account`)
    expect(await page.locator('#site-nav').isVisible()).toBe(false)
    const toggle = page.locator('[data-menu-toggle]')
    expect(await toggle.getAttribute('aria-expanded')).toBe('false')
    await toggle.focus()
    await page.keyboard.press('Enter')
    expect(await toggle.getAttribute('aria-expanded')).toBe('true')
    expect(await page.locator('#site-nav a[href="/account/settings"]').isVisible()).toBe(true)
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBe(390)
    await screenshot(page, 'phone-menu-open')
    // Desktop: one row of links, no Menu button.
    await page.setViewportSize({ width: 1280, height: 800 })
    expect(await toggle.isVisible()).toBe(false)
    const navHeight = await page.locator('#site-nav').evaluate((el) => el.getBoundingClientRect().height)
    expect(navHeight).toBeLessThan(60)
  })

  it('deleting the account (typed confirmation) ends every session and the repository answers as gone', async () => {
    const carol = await server.createAccount('carol')
    const refreshJwt = carol.agent.session!.refreshJwt
    const first = await newPage()
    await signInWithPassword(first, carol)
    const second = await newPage()
    await signInWithPassword(second, carol)
    await first.goto(`${server.url}/account/delete`)
    // The page offers the export and the move first.
    expect(await first.locator('a[href="/account/export/repo.car"]').count()).toBe(1)
    expect(await first.locator('main a[href="/account/move"]').count()).toBe(1)
    await first.fill('input[name=confirm]', 'not-my-handle')
    await first.click('[data-field=delete]')
    expect(await first.textContent('[data-field=problem]')).toContain('Nothing was deleted')
    expect((await server.agent().com.atproto.sync.getRepoStatus({ did: carol.did })).data.active).toBe(true)

    await first.fill('input[name=confirm]', carol.handle)
    await first.click('[data-field=delete]')
    await first.waitForSelector('[data-field=deleted]')
    await screenshot(first, 'account-deleted')

    // Every web session is over, in this browser and the other one.
    for (const page of [first, second]) {
      await page.goto(`${server.url}/account`)
      expect(new URL(page.url()).pathname).toBe('/sign-in')
    }
    // The client's session is over too, and the repository is gone.
    await expect(carol.agent.com.atproto.server.getSession()).rejects.toThrow()
    await expect(carol.agent.com.atproto.server.refreshSession(undefined, { headers: { authorization: `Bearer ${refreshJwt}` } })).rejects.toThrow()
    await expect(server.agent().com.atproto.sync.getRepo({ did: carol.did })).rejects.toThrow(/Could not find repo|RepoNotFound|not found/i)
    await expect(new AtpAgent({ service: server.url }).login({ identifier: carol.handle, password: carol.password })).rejects.toThrow()
  })
})

describe('a host that keeps its own front page', () => {
  it('HEARTH_FRONT_PAGE=off leaves / to the host (and the sign-in page’s name links to sign-in)', async () => {
    const server = await startTestServer({ env: { HEARTH_FRONT_PAGE: 'off' } })
    try {
      const res = await fetch(`${server.url}/`)
      expect(res.status).toBe(404)
      expect(await res.json()).toMatchObject({ error: 'NotFound' })
      const signIn = await (await fetch(`${server.url}/sign-in`)).text()
      expect(signIn).toContain('<a class="brand" href="/sign-in">')
    } finally {
      await server.close({ removeData: true })
    }
  })
})

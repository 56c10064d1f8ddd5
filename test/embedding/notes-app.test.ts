/**
 * The example host (examples/notes-app) as a person and another app see it:
 * the host's own routes around Hearth's and its own front page; GitHub
 * sign-in in real Chromium that starts and ends on the host's page; the
 * host's route knowing the DID; notes written in-process that @atproto/api
 * reads over XRPC and @atproto/sync verifies on the public firehose; a note
 * written over XRPC reaching the host's event handler and the open page;
 * an invalid note refused with InvalidRecord and nothing changed; Hearth's
 * pages under the host's name, logo and colours.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serve, type ServerType } from '@hono/node-server'
import type { Browser, Page } from 'playwright-core'
import { AtpAgent } from '@atproto/api'
import { IdResolver } from '@atproto/identity'
import { Firehose, type Event as SyncEvent } from '@atproto/sync'
import { createPds, InvalidRecord, HearthError, type Pds } from '../../src/index.js'
import { pdsContext } from '../../src/embed/internals.js'
import { createNotesApp, NOTE, type NotesApp } from '../../examples/notes-app/notes-app.js'
import { freePort, startTestPlc } from '../helpers/test-server.js'
import { startLocalProviders, type LocalProviders } from '../helpers/oauth-providers.js'
import { eventually } from '../firehose/stream-reader.js'
import { launchChromium, screenshot } from '../web/chromium.js'
import type { EmbeddedPlc } from '../../src/identity/embedded-plc.js'

const ADA = { id: 4242, login: 'ada', email: 'ada@example.com' }

describe('the example notes app, hosting Hearth', () => {
  let plc: EmbeddedPlc
  let providers: LocalProviders
  let dataDir: string
  let pds: Pds
  let notes: NotesApp
  let server: ServerType
  let url: string
  let browser: Browser
  let page: Page
  let firehose: Firehose
  const verified: SyncEvent[] = []
  const firehoseErrors: Error[] = []
  let adaDid: string

  beforeAll(async () => {
    plc = await startTestPlc()
    const port = await freePort()
    url = `http://localhost:${port}`
    providers = await startLocalProviders({ hearthUrl: url })
    browser = await launchChromium()
    const context = await browser.newContext()
    await providers.routeBrowser(context)
    page = await context.newPage()
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-notes-'))
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
      pages: { frontPage: false, name: 'Notes', logoUrl: '/logo.svg', cssVariables: { '--accent': '#0a66c2' } },
    })
    notes = createNotesApp(pds)
    server = await new Promise((resolve) => {
      const s = serve({ fetch: notes.app.fetch, port, hostname: '127.0.0.1' }, () => resolve(s))
    })
    server.on('upgrade', (req, socket, head) => {
      if (!pds.upgrade(req, socket, head)) socket.destroy()
    })

    // A relay's view of the same server, verifying every commit.
    const idResolver = new IdResolver({ plcUrl: plc.url })
    firehose = new Firehose({
      service: url.replace(/^http/, 'ws'),
      idResolver,
      handleEvent: async (evt) => void verified.push(evt),
      onError: (err) => firehoseErrors.push(err),
    })
    void firehose.start()
    await eventually(() => pdsContext(pds).firehose.stats().live === 1, 'the relay to subscribe')

  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await firehose?.destroy()
    const closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    await pds?.close()
    ;(server as unknown as { closeAllConnections?: () => void })?.closeAllConnections?.()
    await closed
    await providers?.close()
    await plc?.close()
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
  })

  it("serves the host's routes before and after Hearth's, and the host's own front page", async () => {
    const front = await fetch(`${url}/`)
    expect(front.status).toBe(200)
    expect(await front.text()).toContain('<h1>Notes</h1>')
    expect(await (await fetch(`${url}/about`)).text()).toMatch(/notes app/)
    const health = await fetch(`${url}/xrpc/_health`)
    expect(health.status).toBe(200)
    // Signed out, the host's notes API sends the visitor to sign in and back.
    const api = await fetch(`${url}/api/notes`, { redirect: 'manual' })
    expect(api.status).toBe(302)
    expect(api.headers.get('location')).toBe('/sign-in?return_to=%2Fapi%2Fnotes')
  })

  it('makes an account for a user the host knows, links it to GitHub, and tells the host it was created', async () => {
    const account = await pds.accounts.create({ handle: 'ada.test', email: 'ada@example.com', password: 'ada-password-1' })
    adaDid = account.did
    expect(account).toMatchObject({ handle: 'ada.test', status: 'active' })
    expect(adaDid).toMatch(/^did:plc:/)
    await eventually(() => notes.users.has(adaDid), 'the accountCreated hook')
    expect(notes.users.get(adaDid)!.handle).toBe('ada.test')
    pds.accounts.link(adaDid, { provider: 'github', subject: String(ADA.id), username: ADA.login, email: ADA.email })
    expect(pds.accounts.byIdentity('github', String(ADA.id))?.did).toBe(adaDid)
    expect(pds.accounts.get('ada.test')?.did).toBe(adaDid)
    expect(pds.accounts.get(adaDid)?.handle).toBe('ada.test')
    expect(pds.accounts.get('nobody.test')).toBeNull()
    // The same identity cannot reach a second account.
    const other = await pds.accounts.create({ handle: 'grace.test' })
    let refused: unknown
    try {
      pds.accounts.link(other.did, { provider: 'github', subject: String(ADA.id), username: ADA.login })
    } catch (err) {
      refused = err
    }
    expect(refused).toBeInstanceOf(HearthError)
    expect((refused as HearthError).error).toBe('IdentityTaken')
  })

  it("signs a person in with GitHub on the host's page and sends them back to it; the host's route sees their DID", async () => {
    providers.github.signInAs(ADA)
    await page.goto(`${url}/`)
    // Clicked first, then waited on: the hop to "github.com" is re-routed to loopback, which Chromium reports as a failed navigation first.
    await page.click('#sign-in')
    await page.waitForURL((u) => u.pathname === '/notes')
    expect(await page.textContent('[data-did]')).toBe(adaDid)
    expect(await page.textContent('[data-handle]')).toBe('ada.test')
    // The same browser, on the host's JSON route: the session middleware knows who it is.
    const fromBrowser = await page.evaluate(async () => (await fetch('/api/notes')).json())
    expect(fromBrowser).toEqual({ notes: [] })
    await screenshot(page, 'notes-app-signed-in')
  })

  it('saves a note in-process: @atproto/api reads it over XRPC and @atproto/sync verifies it on the firehose', async () => {
    await page.fill('input[name=text]', 'first note, kept in my repository')
    await Promise.all([page.waitForURL((u) => u.pathname === '/notes'), page.click('button')])
    const li = page.locator('#notes li')
    await expect.poll(() => li.count()).toBe(1)
    const uri = (await li.first().getAttribute('data-uri'))!
    expect(uri).toMatch(new RegExp(`^at://${adaDid}/${NOTE}/`))

    const agent = new AtpAgent({ service: url })
    const got = await agent.com.atproto.repo.getRecord({ repo: 'ada.test', collection: NOTE, rkey: uri.split('/').pop()! })
    expect(got.data.value).toMatchObject({ $type: NOTE, text: 'first note, kept in my repository' })
    const listed = await agent.com.atproto.repo.listRecords({ repo: adaDid, collection: NOTE })
    expect(listed.data.records.map((r) => r.uri)).toEqual([uri])

    await eventually(() => verified.some((e) => e.event === 'create' && `at://${e.did}/${e.collection}/${e.rkey}` === uri), 'the verified firehose to carry the note')
    const created = verified.find((e) => e.event === 'create' && e.rkey === uri.split('/').pop()) as unknown as { cid: { toString(): string }; record: { text: string } }
    expect(created.cid.toString()).toBe(got.data.cid)
    expect(created.record.text).toBe('first note, kept in my repository')
    expect(firehoseErrors).toEqual([])
  })

  it("a note written over XRPC by another app fires the host's event handler and shows up live on the open page", async () => {
    const agent = new AtpAgent({ service: url })
    await agent.login({ identifier: 'ada.test', password: 'ada-password-1' })
    const written = await agent.com.atproto.repo.createRecord({
      repo: adaDid,
      collection: NOTE,
      record: { $type: NOTE, text: 'written from another app', createdAt: new Date().toISOString() },
    })
    await eventually(() => notes.seen.some((n) => n.uri === written.data.uri), "the host's commit handler")
    expect(notes.seen.find((n) => n.uri === written.data.uri)).toEqual({ did: adaDid, uri: written.data.uri, text: 'written from another app' })
    // The page was not reloaded: the note arrived through the host's live stream.
    await page.locator(`#notes li[data-uri="${written.data.uri}"]`).waitFor({ timeout: 30_000 })
    expect(await page.locator('#notes li').count()).toBe(2)
    await screenshot(page, 'notes-app-live-note')
  })

  it('an invalid note through the in-process API throws InvalidRecord and changes nothing', async () => {
    const ctx = pdsContext(pds)
    const before = { head: ctx.repoReader.head(adaDid), seq: ctx.eventLog.lastSeq(), notes: (await pds.repo.listRecords(adaDid, NOTE)).records.length }
    let refused: unknown
    try {
      // The data model has no floats.
      await pds.repo.createRecord(adaDid, { collection: NOTE, record: { $type: NOTE, text: 'x', weight: 1.5 } })
    } catch (err) {
      refused = err
    }
    expect(refused).toBeInstanceOf(InvalidRecord)
    expect((refused as InvalidRecord).error).toBe('InvalidRecord')
    expect((refused as InvalidRecord).message).toMatch(/float|integer/i)
    // A known lexicon is checked as over XRPC; putRecord too.
    await expect(pds.repo.createRecord(adaDid, { collection: 'app.bsky.feed.post', record: { $type: 'app.bsky.feed.post', text: 42 } })).rejects.toBeInstanceOf(InvalidRecord)
    await expect(pds.repo.putRecord(adaDid, { collection: NOTE, rkey: 'fixed', record: { $type: NOTE, n: 0.5 } })).rejects.toBeInstanceOf(InvalidRecord)
    const after = { head: ctx.repoReader.head(adaDid), seq: ctx.eventLog.lastSeq(), notes: (await pds.repo.listRecords(adaDid, NOTE)).records.length }
    expect(after).toEqual(before)
  })

  it("Hearth's pages carry the host's name, logo and colours", async () => {
    await page.goto(`${url}/account`)
    expect(await page.title()).toMatch(/· Notes$/)
    expect(await page.textContent('header.top .brand')).toContain('Notes')
    expect(await page.getAttribute('header.top .brand img', 'src')).toBe('/logo.svg')
    const accent = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim())
    expect(accent).toBe('#0a66c2')
    const css = await fetch(`${url}/web/brand.css`)
    expect(css.headers.get('content-type')).toMatch(/^text\/css/)
    expect(await css.text()).toContain('--accent: #0a66c2;')
    await screenshot(page, 'notes-app-branded-account-page')
  })
})

/**
 * The example app (examples/scope-viewer, built on hearth/client) in real
 * Chromium: it asks the person for two scopes; they approve one on Hearth's
 * page; the example then shows that scope's records and no others, and a
 * record ingested afterwards appears on its own (the page is polled; no
 * timing is asserted). A record deleted afterwards leaves the example page,
 * and Hearth's scopes page shows the person what was deleted and when.
 * The app runs as its own process, importing `hearth/client` by name.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { freePort, startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'
import { launchChromium, screenshot } from '../web/chromium.js'
import { projectPath } from '../../src/project-paths.js'
import { ownerCall } from './owner.js'

let server: TestServer
let alice: TestAccount
let browser: Browser
let page: Page
let viewer: ChildProcess
let viewerUrl: string
let tmp: string
const PROFILE = 'instagram.profile'
const POSTS = 'instagram.posts'

async function ingest(scope: string, key: string, data: unknown) {
  const res = await ownerCall(server.url, alice, 'dev.hearth.scope.ingest', { body: { scope, key, data } })
  if (res.status !== 200) throw new Error(JSON.stringify(res.json))
}

beforeAll(async () => {
  server = await startTestServer()
  alice = await server.createAccount('alice')
  await ingest(PROFILE, 'self', { name: 'Alice' })
  await ingest(POSTS, 'p1', { caption: 'first post' })
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scope-viewer-'))
  const port = await freePort()
  viewerUrl = `http://localhost:${port}`
  viewer = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/scope-viewer/main.ts'], {
    cwd: projectPath(),
    env: { ...process.env, HEARTH_URL: server.url, PLC_URL: server.plcUrl, OWNER: alice.handle, SCOPES: `${PROFILE},${POSTS}`, PORT: String(port), APP_IDENTITY_FILE: path.join(tmp, 'id.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  viewer.stderr!.on('data', (d) => (stderr += d))
  await new Promise<void>((resolve, reject) => {
    viewer.stdout!.on('data', (d) => String(d).includes('listening') && resolve())
    viewer.once('exit', (code) => reject(new Error(`the example app exited (${code}): ${stderr}`)))
  })
  browser = await launchChromium()
  page = await (await browser.newContext()).newPage()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  if (viewer && viewer.exitCode === null) {
    const exited = new Promise((r) => viewer.once('exit', r))
    viewer.kill('SIGTERM')
    await exited
  }
  await server?.close({ removeData: true })
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

describe('the example app', () => {
  it('shows only the scope the person approved, and records ingested afterwards', async () => {
    await page.goto(`${server.url}/sign-in`)
    await page.fill('input[name=identifier]', alice.handle)
    await page.fill('input[name=password]', alice.password)
    await Promise.all([page.waitForURL(/\/account$/), page.click('form[action="/sign-in/password"] button[type=submit]')])

    await page.goto(viewerUrl)
    await Promise.all([page.waitForURL((u) => u.toString().startsWith(`${server.url}/account/requests/`)), page.click('#approve')])
    await page.uncheck(`input[name="scope:${POSTS}"]`)
    await Promise.all([page.waitForURL((u) => u.toString().startsWith(viewerUrl)), page.click('[data-decision=approve]')])
    await page.waitForSelector(`li[data-scope="${PROFILE}"][data-key="self"]`)
    expect(await page.locator(`li[data-scope="${POSTS}"]`).count()).toBe(0)
    expect(await page.textContent(`li[data-key="self"]`)).toContain('Alice')

    const started = Date.now()
    await ingest(PROFILE, 'work', { employer: 'Hearth Inc' })
    await ingest(POSTS, 'p2', { caption: 'not granted' })
    await page.waitForSelector(`li[data-scope="${PROFILE}"][data-key="work"]`, { timeout: 20_000 })
    console.log(`example page showed the new record after ${Date.now() - started} ms`)
    await ingest(PROFILE, 'marker', { n: 1 }) // ingested after p2: once it shows, p2 had its chance
    await page.waitForSelector(`li[data-key="marker"]`, { timeout: 20_000 })
    expect(await page.locator(`li[data-scope="${POSTS}"]`).count()).toBe(0)
    await screenshot(page, 'scope-viewer-live')
  })

  it('a deleted record leaves the example page; Hearth shows the person what was deleted and when', async () => {
    const res = await ownerCall(server.url, alice, 'dev.hearth.scope.deleteRecord', { body: { scope: PROFILE, key: 'work' } })
    expect(res.status).toBe(200)
    await page.waitForSelector(`li[data-key="work"]`, { state: 'detached', timeout: 20_000 })
    await page.goto(`${server.url}/account/scopes`)
    const row = page.locator(`[data-section=deletions] tr[data-deletion=record][data-scope="${PROFILE}"]`)
    expect(await row.count()).toBe(1)
    expect(await row.textContent()).toMatch(/record “work”.*|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/)
    await screenshot(page, 'scopes-page-deletions')
  })
})

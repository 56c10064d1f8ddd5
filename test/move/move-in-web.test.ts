/**
 * Moving an account in from the reference PDS through Hearth's web page, in
 * Chromium: the form, the progress page, the confirmation code the
 * reference mails (its mail goes to a real SMTP server on loopback, and the
 * code is read out of the message), a Hearth restart in the middle (the
 * page resumes the move with the password given again), a refused code,
 * and at the end a web session for the moved account. Records, blobs and
 * preferences arrive with the same CIDs; the old password is nowhere in
 * Hearth's data folder. A wrong password is a clear error and changes
 * nothing.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AtpAgent } from '@atproto/api'
import { IdResolver } from '@atproto/identity'
import type { TestPds } from '@atproto/dev-env'
import type { Browser, Page } from 'playwright-core'
import { startTestPlc, startTestServer, type TestServer } from '../helpers/test-server.js'
import type { EmbeddedPlc } from '../../src/identity/embedded-plc.js'
import { launchChromium, screenshot } from '../web/chromium.js'
import { checkPage, problemsOf } from '../web/page-checks.js'
import { startSmtpInbox, type SmtpInbox, type ReceivedMail } from '../helpers/smtp-inbox.js'
import { fillAccount, recordCids, startReferencePds, PNG, type FilledAccount } from './reference-pds.js'

const ENV = { HEARTH_PROXY_ALLOW_HTTP_LOOPBACK: 'true' }
const CODE = /\b[A-Z2-7]{5}-[A-Z2-7]{5}\b/

describe('moving in from the web page', () => {
  let plc: EmbeddedPlc
  let inbox: SmtpInbox
  let reference: TestPds
  let hearth: TestServer
  let browser: Browser
  let page: Page
  let person: FilledAccount
  let before: Record<string, string>

  beforeAll(async () => {
    plc = await startTestPlc()
    inbox = await startSmtpInbox()
    reference = await startReferencePds(plc.url, { emailSmtpUrl: inbox.url, emailFromAddress: 'noreply@reference.test' })
    hearth = await startTestServer({ plc, env: ENV })
    person = await fillAccount(reference.url, 'webmover.test')
    before = await recordCids(person.agent, person.did)
    browser = await launchChromium()
    page = await (await browser.newContext()).newPage()
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await hearth?.close({ removeData: true })
    await reference?.close()
    await inbox?.close()
    await plc?.close()
  })

  const plcMails = () => inbox.messages.filter((m) => m.to.includes('webmover.test@example.com') && /PLC/i.test(m.subject))
  const codeIn = (m: ReceivedMail) => CODE.exec(m.text)?.[0]
  const stateText = () => page.locator('[data-field=state]').innerText()
  const waitForState = (state: string) => page.waitForSelector(`[data-move-in-status][data-state="${state}"]`, { timeout: 120_000 })

  async function fillForm(password: string) {
    await page.goto(`${hearth.url}/account/move/in`)
    await page.fill('input[name=identifier]', person.handle)
    await page.fill('input[name=service]', reference.url)
    await page.fill('input[name=password]', password)
    await page.fill('input[name=newHandle]', 'webmover-here')
    await expect(page.locator('[data-field=password-note]').innerText()).resolves.toContain('never written to disk')
    await page.click('[data-move-in-form] button[type=submit]')
  }

  it('refuses a wrong password with a clear message, and changes nothing', async () => {
    await fillForm('not-the-password')
    await expect(page.locator('[data-field=problem]').innerText()).resolves.toMatch(/did not accept that handle and password.*Nothing was changed/)
    expect(new URL(page.url()).pathname).toBe('/account/move/in')
    // The form keeps what was typed, except the password.
    expect(await page.inputValue('input[name=identifier]')).toBe(person.handle)
    expect(await page.inputValue('input[name=password]')).toBe('')
    expect(hearth.pds.ctx.accounts.get(person.did)).toBeFalsy()
    expect(hearth.pds.ctx.db.prepare('SELECT COUNT(*) AS n FROM move_in_job').get()).toEqual({ n: 0 })
    expect((await person.agent.com.atproto.sync.getRepoStatus({ did: person.did })).data.active).toBe(true)
    expect(plcMails()).toHaveLength(0)
    // The form passes the checks every page passes (phone and desktop widths, axe).
    const axePage = await (await browser.newContext({ bypassCSP: true })).newPage()
    expect(problemsOf(await checkPage(axePage, `${hearth.url}/account/move/in`, 'page-move-in'))).toEqual([])
  }, 90_000)

  it('moves the account in, survives a restart, takes the mailed code, and signs the person in', async () => {
    await fillForm(person.password)
    await page.waitForURL(/\/account\/move\/in\/[A-Za-z0-9_-]+$/)
    const moveUrl = page.url()
    // The page follows the move (pages.js polls its status) until the old server has mailed its code.
    await waitForState('needs-code')
    await expect(stateText()).resolves.toContain('Waiting for the confirmation code')
    expect(await page.locator('[data-progress=records]').innerText()).toBe(String(Object.keys(before).length))
    expect(await page.locator('[data-progress=blobs]').innerText()).toBe('1')
    expect(await page.locator('[data-progress=blobs-total]').innerText()).toBe('1')
    expect(Number(await page.locator('[data-progress=bytes]').innerText())).toBeGreaterThan(PNG.length)
    const firstMail = await inbox.next((m) => plcMails().includes(m))
    expect(codeIn(firstMail)).toBeTruthy()
    const status = await page.evaluate(async (url) => (await fetch(`${url}/status`)).json(), moveUrl)
    expect(status).toMatchObject({ state: 'needs-code', progress: { phase: 'confirmation', blobs: { done: 1, total: 1 } } })

    // Nothing has moved yet: the identity still names the old server, where the account still works.
    const resolver = new IdResolver({ plcUrl: plc.url })
    expect((await resolver.did.resolveAtprotoData(person.did, true)).pds).toBe(reference.url)
    expect((await person.agent.com.atproto.sync.getRepoStatus({ did: person.did })).data.active).toBe(true)

    // Hearth restarts while the move waits: the page says so and asks for the password again.
    const port = Number(new URL(hearth.url).port)
    const dataDir = hearth.dataDir
    await hearth.close()
    for (const file of fs.readdirSync(dataDir, { recursive: true }) as string[]) {
      const full = path.join(dataDir, file)
      if (fs.statSync(full).isFile()) expect(fs.readFileSync(full).includes(person.password), `${file} holds the old password`).toBe(false)
    }
    hearth = await startTestServer({ plc, dataDir, config: { port }, env: ENV })
    await page.goto(moveUrl)
    await waitForState('interrupted')
    await expect(stateText()).resolves.toContain('stopped when this server restarted')
    await page.fill('form[action$="/resume"] input[name=password]', person.password)
    await page.click('form[action$="/resume"] button[type=submit]')
    // It goes on (the blob already here is not copied again) and asks the old server for a new code.
    await waitForState('needs-code')
    await inbox.next((m) => plcMails().length >= 2 && m === plcMails()[1])
    expect(await page.locator('[data-progress=blobs]').innerText()).toBe('1')

    // A wrong code: the old server refuses it, the page says so and waits for another.
    await page.fill('input[name=code]', 'AAAAA-BBBBB')
    await page.click('form[action$="/code"] button[type=submit]')
    await page.waitForSelector('[data-field=code-problem]', { timeout: 120_000 })
    await expect(page.locator('[data-field=code-problem]').innerText()).resolves.toContain('refused that code')

    // The code from the latest mail finishes the move.
    const code = codeIn(plcMails().at(-1)!)!
    await page.fill('input[name=code]', code)
    await page.click('form[action$="/code"] button[type=submit]')
    await waitForState('done')
    await expect(page.locator('[data-field=done]').innerText()).resolves.toContain('Your account lives here now')
    await expect(page.locator('[data-field=left]').innerText()).resolves.toContain('Add a way to sign in again')
    await screenshot(page, 'move-in-done')

    // Signed in to the moved account.
    await page.goto(`${hearth.url}/account`)
    await expect(page.locator('body').innerText()).resolves.toContain(person.did)
    // The browser got its one session; opening the page again does not make another.
    const sessions = () => hearth.pds.ctx.db.prepare('SELECT COUNT(*) AS n FROM web_session WHERE did = ?').get(person.did) as { n: number }
    const n = sessions().n
    await page.goto(moveUrl)
    expect(sessions().n).toBe(n)

    // Everything arrived with the same CIDs; the identity points here; the old copy is deactivated.
    expect((await resolver.did.resolveAtprotoData(person.did, true)).pds).toBe(hearth.url)
    const reader = new AtpAgent({ service: hearth.url })
    expect(await recordCids(reader, person.did)).toEqual(before)
    const avatar = await reader.com.atproto.sync.getBlob({ did: person.did, cid: person.avatarCid })
    expect(Buffer.from(avatar.data).equals(PNG)).toBe(true)
    expect((await reader.com.atproto.sync.getRepoStatus({ did: person.did })).data).toMatchObject({ active: true })
    expect((await person.agent.com.atproto.sync.getRepoStatus({ did: person.did })).data).toMatchObject({ active: false, status: 'deactivated' })
    const here = await hearth.pds.ctx.tokens.issue(person.did, null)
    const asPerson = new AtpAgent({ service: hearth.url })
    asPerson.sessionManager.session = { ...here, did: person.did, handle: 'webmover-here.test', active: true }
    const moved = (await asPerson.app.bsky.actor.getPreferences()).data.preferences
    expect(moved.map((p) => p.$type).sort()).toEqual(['app.bsky.actor.defs#adultContentPref', 'app.bsky.actor.defs#savedFeedsPrefV2'])
  }, 400_000)
})

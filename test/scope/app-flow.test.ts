/**
 * The whole story, as an app and an owner live it: an app with its own
 * did:plc asks for three scopes; the owner signs in (real Chromium) and
 * approves two of them; the app learns it from the redirect and from
 * getRequest, reads its scopes and verifies everything it gets (records,
 * inclusion proofs, the scope CAR) with @atproto/repo against the owner's
 * DID document; it follows the scoped firehose, which carries its scopes
 * from every account that granted them and nothing else, and stops the
 * moment the owner revokes in the browser. The owner's pages show the
 * scopes, the grant and what the app read.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { IdResolver } from '@atproto/identity'
import { lexToJson } from '@atproto/lexicon'
import { verifyProofs, verifyRecords, verifyRepoCar } from '@atproto/repo'
import { parseCid } from '@atproto/lex-data'
import { startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'
import { launchChromium, screenshot } from '../web/chromium.js'
import { TestApp, serviceDid } from './test-app.js'
import { ingest, ownerCall } from './owner.js'
import { ScopeCommitVerifier, openScopeStream, scopeOf } from './scope-stream-reader.js'

let server: TestServer
let browser: Browser
let page: Page
let alice: TestAccount
let bob: TestAccount
let app: TestApp
let idResolver: IdResolver
let callback: { url: string; hits: URLSearchParams[]; close: () => Promise<void> }

const PROFILE = 'instagram.profile'
const POSTS = 'instagram.posts'
const CHATS = 'chatgpt.conversations'

beforeAll(async () => {
  server = await startTestServer()
  idResolver = new IdResolver({ plcUrl: server.plcUrl })
  alice = await server.createAccount('alice')
  bob = await server.createAccount('bob')
  await ingest(server.url, alice, PROFILE, [{ name: 'Alice', bio: 'likes tea' }, { name: 'Alice A.', bio: 'likes tea and cake' }])
  await ingest(server.url, alice, POSTS, [{ caption: 'first' }, { caption: 'second' }, { caption: 'third' }])
  await ingest(server.url, alice, CHATS, [{ title: 'private chat' }])
  await ingest(server.url, bob, PROFILE, { name: 'Bob' })
  app = await TestApp.register(server.plcUrl, 'notes')
  callback = await startCallbackServer()
  browser = await launchChromium()
  page = await (await browser.newContext()).newPage()
})

afterAll(async () => {
  await browser?.close()
  await callback?.close()
  await server?.close({ removeData: true })
})

async function signIn(account: TestAccount): Promise<void> {
  await page.goto(`${server.url}/sign-in`)
  await page.fill('input[name=identifier]', account.handle)
  await page.fill('input[name=password]', account.password)
  await Promise.all([page.waitForURL(/\/account$/), page.click('form[action="/sign-in/password"] button[type=submit]')])
}

const state: { requestId?: string; grantId?: string } = {}

describe('an app asks, the owner approves a subset in the browser', () => {
  it('requestAccess answers an id and the page where the owner decides; the request is pending', async () => {
    const res = await app.call(server.url, 'dev.hearth.grant.requestAccess', {
      body: { scopes: [PROFILE, POSTS, CHATS], reason: 'Notes shows your Instagram profile and posts beside your notes.', redirectUri: callback.url },
    })
    expect(res.status).toBe(200)
    expect(res.json.approveUrl).toBe(`${server.url}/account/requests/${res.json.id}`)
    state.requestId = res.json.id
    const status = await app.call(server.url, 'dev.hearth.grant.getRequest', { params: { id: res.json.id } })
    expect(status.json).toMatchObject({ id: res.json.id, status: 'pending', requested: [PROFILE, POSTS, CHATS] })
    expect(status.json.scopes).toBeUndefined()
    // Nothing is readable yet.
    expect((await app.call(server.url, 'dev.hearth.scope.listRecords', { params: { repo: alice.did, scope: PROFILE } })).status).toBe(403)
  })

  it('the approval page, signed out, sends to sign-in with the way back', async () => {
    await page.goto(`${server.url}/account/requests/${state.requestId}`)
    await page.waitForURL((u) => u.pathname === '/sign-in')
    expect(new URL(page.url()).searchParams.get('next')).toBe(`/account/requests/${state.requestId}`)
  })

  it('the owner unticks one scope and approves; the browser goes back to the app with the outcome', async () => {
    await signIn(alice)
    await page.goto(`${server.url}/account/requests/${state.requestId}`)
    expect(await page.textContent('[data-field=app]')).toBe(app.did)
    expect(await page.textContent('[data-field=reason]')).toContain('Instagram profile')
    expect(await page.textContent(`[data-scope="${POSTS}"]`)).toContain('3 records now')
    await page.uncheck(`input[name="scope:${CHATS}"]`)
    await screenshot(page, 'scope-approve')
    await Promise.all([page.waitForURL((u) => u.toString().startsWith(callback.url)), page.click('[data-decision=approve]')])
    expect(callback.hits).toHaveLength(1)
    expect(Object.fromEntries(callback.hits[0])).toEqual({ request: state.requestId, status: 'approved' })

    const status = await app.call(server.url, 'dev.hearth.grant.getRequest', { params: { id: state.requestId! } })
    expect(status.json).toMatchObject({ status: 'approved', scopes: [PROFILE, POSTS], repo: alice.did, requested: [PROFILE, POSTS, CHATS] })
    state.grantId = status.json.grant

    // Deciding again changes nothing.
    await page.goto(`${server.url}/account/requests/${state.requestId}`)
    expect(await page.textContent('[data-field=outcome]')).toContain('Approved')
  })
})

describe('the app reads what it was granted, and verifies it', () => {
  it('listRecords, getRecord proofs and the scope CAR all verify against the owner’s DID document key', async () => {
    const key = await idResolver.did.resolveAtprotoKey(alice.did, true)
    for (const [scope, expected] of [
      [PROFILE, ['Alice', 'Alice A.']],
      [POSTS, ['first', 'second', 'third']],
    ] as const) {
      const listed = await app.call(server.url, 'dev.hearth.scope.listRecords', { params: { repo: alice.did, scope } })
      expect(listed.status).toBe(200)
      const records = listed.json.records as { rkey: string; cid: string; value: any }[]
      expect(records.map((r) => r.value.data.name ?? r.value.data.caption).sort()).toEqual([...expected].sort())
      for (const r of records) expect(r.value).toMatchObject({ $type: 'dev.hearth.scope.record', scope })

      for (const r of records) {
        const proof = await app.call(server.url, 'dev.hearth.scope.getRecord', { params: { repo: alice.did, scope, rkey: r.rkey } })
        expect(proof.headers.get('content-type')).toBe('application/vnd.ipld.car')
        const proven = await verifyProofs(proof.bytes, [{ collection: scope, rkey: r.rkey, cid: parseCid(r.cid) }], alice.did, key)
        expect(proven.verified).toHaveLength(1)
        const [inCar] = await verifyRecords(proof.bytes, alice.did, key)
        expect(lexToJson(inCar.record as never)).toEqual(r.value)
      }

      const car = await app.call(server.url, 'dev.hearth.scope.getRepo', { params: { repo: alice.did, scope } })
      const verified = await verifyRepoCar(car.bytes, alice.did, key)
      expect(verified.creates.map((c) => `${c.collection}/${c.rkey}=${c.cid}`).sort()).toEqual(records.map((r) => `${scope}/${r.rkey}=${r.cid}`).sort())
    }
    // The scope left out reads as never granted.
    const chats = await app.call(server.url, 'dev.hearth.scope.listRecords', { params: { repo: alice.did, scope: CHATS } })
    expect(chats.status).toBe(403)
    // A proof for a record that is not there proves its absence.
    const absent = await app.call(server.url, 'dev.hearth.scope.getRecord', { params: { repo: alice.did, scope: PROFILE, rkey: '2222222222222' } })
    const proven = await verifyProofs(absent.bytes, [{ collection: PROFILE, rkey: '2222222222222', cid: null }], alice.did, key)
    expect(proven.verified).toHaveLength(1)
  })
})

describe('the scoped firehose', () => {
  it('replays and follows the app’s scopes from every account that granted them, verified, and stops at once on revoke', async () => {
    // Bob grants the same app his profile: the stream carries both accounts.
    expect((await ownerCall(server.url, bob, 'dev.hearth.grant.create', { body: { grantee: app.did, scopes: [PROFILE] } })).status).toBe(200)
    const verifier = new ScopeCommitVerifier(idResolver)
    const token = await app.token({ aud: await serverDid(), lxm: 'dev.hearth.scope.subscribe' })
    const stream = await openScopeStream(server.url, token, { cursor: 0, inQuery: true })
    const seen = new Map<string, unknown>()
    let checked = 0
    const verifyNew = async () => {
      for (const frame of stream.commits().slice(checked)) {
        const { scope, creates } = await verifier.verify(frame)
        const key = `${frame.body.repo} ${scope}`
        expect([`${alice.did} ${PROFILE}`, `${alice.did} ${POSTS}`, `${bob.did} ${PROFILE}`, `${alice.did} null`, `${bob.did} null`]).toContain(key)
        for (const [path, value] of creates) seen.set(`${frame.body.repo} ${path}`, value)
        checked++
      }
    }
    const hasRecord = (did: string, field: string, text: string) =>
      [...seen.entries()].some(([k, v]) => k.startsWith(did) && (v as any)?.data?.[field] === text)

    // Replay: alice's two granted scopes (first commit + batch each) and bob's profile; not her chats.
    await stream.until(() => stream.commits().filter((f) => f.body.ops.length > 0).length >= 3, 'the replay')
    await verifyNew()
    expect(hasRecord(alice.did, 'caption', 'third')).toBe(true)
    expect(hasRecord(bob.did, 'name', 'Bob')).toBe(true)

    // Live: what alice adds to a granted scope arrives; her chats and public writes do not.
    await ingest(server.url, alice, POSTS, { caption: 'live one' })
    await ingest(server.url, alice, CHATS, { title: 'still private' })
    await alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: 'app.bsky.feed.post', record: { $type: 'app.bsky.feed.post', text: 'public', createdAt: new Date().toISOString() } })
    await ingest(server.url, bob, PROFILE, { name: 'Bob sentinel 1' })
    await stream.until(() => stream.commits().some((f) => scopeOf(f.body) === PROFILE && f.body.repo === bob.did && f.raw.includes('Bob sentinel 1')), 'bob sentinel 1')
    await verifyNew()
    expect(hasRecord(alice.did, 'caption', 'live one')).toBe(true)
    expect(stream.frames.some((f) => f.raw.includes('still private') || f.raw.includes(CHATS) || f.raw.includes('app.bsky.feed.post'))).toBe(false)
    expect(stream.frames.every((f) => f.op === 1 && f.t === '#commit')).toBe(true)

    // The owner revokes in the browser, mid-stream.
    await page.goto(`${server.url}/account/apps`)
    await page.click(`[data-revoke="${state.grantId}"]`)
    await page.waitForSelector('[data-field=revoked]')
    expect(await page.getAttribute(`tr[data-grant="${state.grantId}"]`, 'data-status')).toBe('revoked')
    await ingest(server.url, alice, POSTS, { caption: 'after revoke' })
    await ingest(server.url, alice, PROFILE, { name: 'after revoke' })
    await ingest(server.url, bob, PROFILE, { name: 'Bob sentinel 2' })
    await stream.until(() => stream.frames.some((f) => f.raw.includes('Bob sentinel 2')), 'bob sentinel 2')
    await verifyNew()
    // Bob's event came after alice's: had hers been sent, it would be here.
    expect(stream.frames.some((f) => f.raw.includes('after revoke'))).toBe(false)
    expect((await app.call(server.url, 'dev.hearth.scope.listRecords', { params: { repo: alice.did, scope: POSTS } })).status).toBe(403)
    expect(verifier.verified).toBe(checked)
    stream.close()

    // A new connection (token in the header this time) replays only what is still granted: bob's.
    const again = await openScopeStream(server.url, await app.token({ aud: await serverDid(), lxm: 'dev.hearth.scope.subscribe' }), { cursor: 0 })
    await again.until(() => again.frames.some((f) => f.raw.includes('Bob sentinel 2')), 'the second replay')
    expect(new Set(again.commits().map((f) => f.body.repo))).toEqual(new Set([bob.did]))
    again.close()
  })

  it('refuses a connection without a valid token with an error frame, and a replayed token too', async () => {
    const aud = await serverDid()
    const cases: [string | null, string][] = [
      [null, 'AuthenticationRequired'],
      [await app.token({ aud, lxm: 'dev.hearth.scope.listRecords' }), 'BadJwtLexiconMethod'],
      [await app.token({ aud, lxm: 'dev.hearth.scope.subscribe', expIn: -1 }), 'JwtExpired'],
      [await app.token({ aud: 'did:web:other.example', lxm: 'dev.hearth.scope.subscribe' }), 'BadJwtAudience'],
    ]
    const used = await app.token({ aud, lxm: 'dev.hearth.scope.subscribe' })
    ;(await openScopeStream(server.url, used)).close()
    cases.push([used, 'JwtReplayed'])
    for (const [token, error] of cases) {
      const stream = await openScopeStream(server.url, token, { inQuery: true })
      const closed = await stream.closed
      expect(closed.code).toBe(1008)
      expect(stream.frames).toHaveLength(1)
      expect(stream.frames[0]).toMatchObject({ op: -1, body: { error } })
    }
  })
})

describe('the owner’s pages', () => {
  it('list the scopes with counts and latest collection time, browse records, and show the grant’s read log', async () => {
    await page.goto(`${server.url}/account/scopes`)
    expect(await page.getAttribute(`tr[data-scope="${POSTS}"] [data-count]`, 'data-count')).toBe('5')
    expect(await page.getAttribute(`tr[data-scope="${CHATS}"] [data-count]`, 'data-count')).toBe('2')
    expect(await page.textContent(`tr[data-scope="${POSTS}"] [data-field=latest]`)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/)
    await page.click(`tr[data-scope="${CHATS}"] a`)
    await page.waitForSelector('[data-rkey]')
    expect(await page.textContent('main')).toContain('still private')
    await screenshot(page, 'scope-records')

    await page.goto(`${server.url}/account/apps/${state.grantId}`)
    expect(await page.textContent('[data-field=status]')).toContain('revoked')
    const reads = await page.$$eval('tr[data-read]', (rows) => rows.map((r) => r.getAttribute('data-read')))
    for (const method of ['dev.hearth.scope.listRecords', 'dev.hearth.scope.getRecord', 'dev.hearth.scope.getRepo', 'dev.hearth.scope.subscribe']) {
      expect(reads).toContain(method)
    }
    await screenshot(page, 'scope-grant-read-log')
  })

  it('a denied request tells the app so, through getRequest and the redirect', async () => {
    const res = await app.call(server.url, 'dev.hearth.grant.requestAccess', { body: { scopes: [CHATS], reason: 'Summaries', redirectUri: callback.url, repo: alice.handle } })
    await page.goto(`${server.url}/account/apps`)
    expect(await page.isVisible(`tr[data-request="${res.json.id}"]`)).toBe(true)
    await page.goto(res.json.approveUrl)
    await Promise.all([page.waitForURL((u) => u.toString().startsWith(callback.url)), page.click('[data-decision=deny]')])
    expect(Object.fromEntries(callback.hits[callback.hits.length - 1])).toEqual({ request: res.json.id, status: 'denied' })
    const status = await app.call(server.url, 'dev.hearth.grant.getRequest', { params: { id: res.json.id } })
    expect(status.json).toMatchObject({ status: 'denied', repo: alice.did })
    expect(status.json.scopes).toBeUndefined()
    // A request addressed to alice is not bob's to see.
    const other = await app.call(server.url, 'dev.hearth.grant.requestAccess', { body: { scopes: [CHATS], reason: 'Summaries', repo: alice.did } })
    await signIn(bob)
    await page.goto(other.json.approveUrl)
    expect(await page.textContent('main')).toContain('does not exist, or is for another account')
  })
})

/** The server's DID (describeServer), the aud of every token. */
const serverDid = () => serviceDid(server.url)

/** The app's own web server, where the owner's browser lands after deciding. */
async function startCallbackServer(): Promise<{ url: string; hits: URLSearchParams[]; close: () => Promise<void> }> {
  const hits: URLSearchParams[] = []
  const srv = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    // The browser also asks for /favicon.ico: only the callback counts.
    if (url.pathname === '/callback') hits.push(url.searchParams)
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end('back at the app')
  })
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()))
  const { port } = srv.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/callback`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        srv.closeAllConnections()
        srv.close(() => resolve())
      }),
  }
}

/**
 * Access requests move once, pending → approved | denied | expired, and an
 * approval grants only scopes that were asked for. Checked through the
 * server's own store (real SQLite, a clock passed in to reach expiry), the
 * XRPC edge (requestAccess input rules) and the approval form (CSRF, and a
 * smuggled scope field).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'
import { ACCESS_REQUEST_TTL_MS, MAX_PENDING_PER_APP } from '../../src/grant/access-requests.js'
import { HearthError, xrpcStatus } from '../../src/xrpc/xrpc-error.js'
import { TestApp } from './test-app.js'
import { ControlClient } from '../../src/control/control-client.js'

let server: TestServer
let alice: TestAccount
let bob: TestAccount
let app: TestApp

beforeAll(async () => {
  server = await startTestServer()
  alice = await server.createAccount('alice')
  bob = await server.createAccount('bob')
  app = await TestApp.register(server.plcUrl, 'asker')
})
afterAll(() => server?.close({ removeData: true }))

const requests = () => server.pds.ctx.scopes.requests
const grants = () => server.pds.ctx.scopes.grants
const ask = (scopes: string[], ownerDid: string | null = null) => requests().create({ appDid: app.did, ownerDid, scopes, reason: 'test' })
/** What the XRPC edge would answer for the service's refusal. */
const refusal = (fn: () => unknown): { error: string; status: number } => {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(HearthError)
    return { error: (err as HearthError).error, status: xrpcStatus(err as HearthError) }
  }
  throw new Error('did not refuse')
}

describe('request states', () => {
  it('approval grants a subset of what was asked, never more, never nothing', () => {
    const r = ask(['a.one', 'a.two', 'a.three'])
    expect(refusal(() => requests().approve(r.id, alice.did, ['a.one', 'b.other'])).status).toBe(400)
    expect(refusal(() => requests().approve(r.id, alice.did, [])).status).toBe(400)
    expect(requests().get(r.id)!.status).toBe('pending')
    expect(grants().listForOwner(alice.did)).toEqual([])

    const { request, grant } = requests().approve(r.id, alice.did, ['a.three', 'a.one', 'a.one'])
    expect(request).toMatchObject({ status: 'approved', approved: ['a.one', 'a.three'], ownerDid: alice.did, grantId: grant.id })
    expect(grant).toMatchObject({ ownerDid: alice.did, granteeDid: app.did, scopes: ['a.one', 'a.three'], requestId: r.id })
  })

  it('a decided request stays decided: a second decision is a 409 and makes no grant', () => {
    const r = ask(['c.one'])
    requests().deny(r.id, alice.did)
    const before = grants().listForOwner(alice.did).length
    expect(refusal(() => requests().approve(r.id, alice.did, ['c.one'])).status).toBe(409)
    expect(refusal(() => requests().deny(r.id, alice.did)).status).toBe(409)
    expect(requests().get(r.id)!.status).toBe('denied')
    expect(grants().listForOwner(alice.did)).toHaveLength(before)

    const s = ask(['c.two'])
    requests().approve(s.id, alice.did, ['c.two'])
    expect(refusal(() => requests().deny(s.id, alice.did)).status).toBe(409)
    expect(refusal(() => requests().approve(s.id, alice.did, ['c.two'])).status).toBe(409)
    expect(grants().listForOwner(alice.did).filter((g) => g.requestId === s.id)).toHaveLength(1)
  })

  it('an undecided request expires, and then cannot be approved', async () => {
    const r = ask(['d.one'])
    const later = r.expiresAt + 1
    expect(r.expiresAt - r.createdAt).toBe(ACCESS_REQUEST_TTL_MS)
    expect(requests().get(r.id, later)!.status).toBe('expired')
    expect(refusal(() => requests().approve(r.id, alice.did, ['d.one'], {}, later)).status).toBe(409)
    expect(requests().get(r.id)!.status).toBe('expired')
    const seen = await app.call(server.url, 'dev.hearth.grant.getRequest', { params: { id: r.id } })
    expect(seen.json).toMatchObject({ status: 'expired' })
    expect(seen.json.scopes).toBeUndefined()
  })

  it('a request addressed to one account is not another’s to decide; an open one becomes whoever decides', () => {
    const forAlice = ask(['e.one'], alice.did)
    expect(refusal(() => requests().approve(forAlice.id, bob.did, ['e.one'])).status).toBe(404)
    expect(refusal(() => requests().deny(forAlice.id, bob.did)).status).toBe(404)
    expect(requests().pendingFor(alice.did).map((r) => r.id)).toContain(forAlice.id)
    expect(requests().pendingFor(bob.did).map((r) => r.id)).not.toContain(forAlice.id)

    const open = ask(['e.two'])
    requests().approve(open.id, bob.did, ['e.two'])
    expect(requests().get(open.id)!.ownerDid).toBe(bob.did)
    expect(requests().visibleTo(open.id, alice.did)).toBeNull()
  })
})

describe('requestAccess input', () => {
  const call = (body: unknown) => app.call(server.url, 'dev.hearth.grant.requestAccess', { body })

  it('refuses bad scopes, reasons, redirects and accounts with a 400', async () => {
    const bad: [unknown, string][] = [
      [{ scopes: ['Bad.scope'], reason: 'x' }, 'InvalidScope'],
      [{ scopes: ['onlyone'], reason: 'x' }, 'InvalidScope'],
      [{ scopes: [], reason: 'x' }, 'InvalidRequest'],
      [{ scopes: ['x.y'], reason: '' }, 'InvalidRequest'],
      [{ scopes: ['x.y'], reason: '   ' }, 'InvalidRequest'],
      [{ scopes: ['x.y'], reason: 'x', redirectUri: 'http://app.example/cb' }, 'InvalidRequest'],
      [{ scopes: ['x.y'], reason: 'x', redirectUri: 'javascript:alert(1)' }, 'InvalidRequest'],
      [{ scopes: ['x.y'], reason: 'x', redirectUri: 'https://user:pw@app.example/cb' }, 'InvalidRequest'],
      [{ scopes: ['x.y'], reason: 'x', repo: 'nobody.test' }, 'AccountNotFound'],
    ]
    for (const [body, error] of bad) {
      const res = await call(body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.json.error, JSON.stringify(body)).toBe(error)
    }
    const ok = await call({ scopes: ['x.y', 'x.y'], reason: 'x', redirectUri: 'https://app.example/cb?from=hearth', repo: alice.handle })
    expect(ok.status).toBe(200)
    expect(requests().get(ok.json.id)).toMatchObject({ requested: ['x.y'], ownerDid: alice.did, redirectUri: 'https://app.example/cb?from=hearth' })
  })

  it(`an app may have at most ${MAX_PENDING_PER_APP} undecided requests`, async () => {
    const spammer = await TestApp.register(server.plcUrl, 'spammer')
    for (let i = 0; i < MAX_PENDING_PER_APP; i++) requests().create({ appDid: spammer.did, ownerDid: null, scopes: ['x.y'], reason: 'again' })
    const res = await spammer.call(server.url, 'dev.hearth.grant.requestAccess', { body: { scopes: ['x.y'], reason: 'once more' } })
    expect(res.status).toBe(429)
    expect(res.json.error).toBe('TooManyPendingRequests')
  })
})

describe('the approval form', () => {
  it('refuses a POST without the session’s CSRF token, and a smuggled scope field, changing nothing', async () => {
    const browser = await signedInClient(alice)
    const r = ask(['f.one'])
    const pagePath = `/account/requests/${r.id}`
    const html = await (await browser.fetch(pagePath)).text()
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]

    const noToken = await browser.fetch(pagePath, { method: 'POST', form: { decision: 'approve', 'scope:f.one': '1' } })
    expect(noToken.status).toBe(403)
    const smuggled = await browser.fetch(pagePath, { method: 'POST', form: { _csrf: csrf, decision: 'approve', 'scope:f.one': '1', 'scope:f.secret': '1' } })
    expect(smuggled.status).toBe(400)
    expect(await smuggled.text()).toContain('Not requested')
    expect(requests().get(r.id)!.status).toBe('pending')

    const ok = await browser.fetch(pagePath, { method: 'POST', form: { _csrf: csrf, decision: 'approve', 'scope:f.one': '1', length: '30' } })
    expect(ok.status).toBe(200)
    const decided = requests().get(r.id)!
    expect(decided).toMatchObject({ status: 'approved', approved: ['f.one'] })
    const grant = grants().get(decided.grantId!)!
    expect(grant.expiresAt! - grant.createdAt).toBe(30 * 24 * 3600_000)
  })
})

describe('deleting an account', () => {
  it('takes its scope repos, grants, requests and read log with it', async () => {
    const dora = await server.createAccount('dora')
    await server.pds.ctx.scopes.ingest.ingest(dora.did, 'g.one', [{ data: { a: 1 } }])
    const { grant } = requests().approve(ask(['g.one'], dora.did).id, dora.did, ['g.one'])
    const read = await app.call(server.url, 'dev.hearth.scope.listRecords', { params: { repo: dora.did, scope: 'g.one' } })
    expect(read.status).toBe(200)
    expect(server.pds.ctx.scopes.readLog.countForGrant(grant.id)).toBe(1)
    const control = new ControlClient(server.pds.controlSocket!)
    await control.json('DELETE', `/accounts/${encodeURIComponent(dora.did)}?confirm=${encodeURIComponent(dora.did)}`)
    expect(server.pds.ctx.scopes.catalog.list(dora.did)).toEqual([])
    expect(grants().get(grant.id)).toBeNull()
    expect(server.pds.ctx.scopes.readLog.countForGrant(grant.id)).toBe(0)
    expect(requests().pendingFor(dora.did)).toEqual([])
    expect((await app.call(server.url, 'dev.hearth.scope.listRecords', { params: { repo: dora.did, scope: 'g.one' } })).status).toBe(403)
  })
})

/** A cookie-keeping HTTP client signed in through the password form, as a browser would be. */
async function signedInClient(account: TestAccount) {
  const cookies = new Map<string, string>()
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const i = pair.indexOf('=')
      cookies.set(pair.slice(0, i), pair.slice(i + 1))
    }
    return res
  }
  const fetchAs = async (path: string, opts: { method?: string; form?: Record<string, string> } = {}) =>
    keep(
      await fetch(server.url + path, {
        method: opts.method ?? 'GET',
        redirect: 'manual',
        headers: {
          cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
          ...(opts.form ? { 'content-type': 'application/x-www-form-urlencoded', origin: server.url } : {}),
        },
        body: opts.form ? new URLSearchParams(opts.form).toString() : undefined,
      }),
    )
  const signInPage = await (await fetchAs('/sign-in')).text()
  const csrf = /name="_csrf" value="([^"]+)"/.exec(signInPage)![1]
  const res = await fetchAs('/sign-in/password', { method: 'POST', form: { _csrf: csrf, identifier: account.handle, password: account.password } })
  expect(res.status).toBe(303)
  return { fetch: fetchAs }
}

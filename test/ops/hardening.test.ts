/**
 * Attacks on the live server's edge, with rate limits on (the default):
 * method names that are Object.prototype properties, bodies over their
 * limits (declared, undeclared, chunked), overlong sign-in identifiers.
 */
import http from 'node:http'
import { verifyRepoCar } from '@atproto/repo'
import { Secp256k1Keypair } from '@atproto/crypto'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/test-server.js'
import { TestApp, serviceDid } from '../scope/test-app.js'

const POST = 'app.bsky.feed.post'
const post = (text: string) => ({ $type: POST, text, createdAt: new Date().toISOString() })
const TIMEOUT = 20_000

async function xrpc(server: TestServer, nsid: string, body: unknown, token?: string) {
  return fetch(`${server.url}/xrpc/${nsid}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(TIMEOUT),
  })
}

/**
 * POSTs a body in 16 KiB chunks with no Content-Length (Transfer-Encoding:
 * chunked) through node:http, which, unlike fetch, hands over a response the
 * server sends before the upload ends (as it does for a body over its limit).
 */
function postChunked(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers, timeout: TIMEOUT })
    req.on('timeout', () => req.destroy(new Error('no answer: the server hung on a chunked body')))
    req.on('response', (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) }))
    })
    // The server may close once it answered: a write after that is expected to fail.
    req.on('error', (err) => reject(err))
    const bytes = Buffer.from(body)
    let at = 0
    const writeMore = () => {
      while (at < bytes.length) {
        const chunk = bytes.subarray(at, at + 16_384)
        at += 16_384
        if (!req.write(chunk)) return void req.once('drain', writeMore)
      }
      req.end()
    }
    writeMore()
  })
}

describe('edge hardening, rate limits on', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({
      env: {
        HEARTH_RATE_LIMITS: 'on',
        HEARTH_RATE_WRITE_POINTS_HOUR: '9',
        HEARTH_MAX_JSON_BYTES: '65536',
        HEARTH_MAX_INGEST_BYTES: '131072',
      },
    })
  })
  afterAll(() => server.close({ removeData: true }))

  it('Object.prototype names answer 404 with a numeric budget, and the budget still runs out', async () => {
    const alice = await server.createAccount('alice')
    const token = alice.agent.session!.accessJwt
    for (const name of ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', '__defineGetter__']) {
      const res = await xrpc(server, name, {}, token)
      expect(res.status, name).toBe(404)
      expect(await res.json()).toMatchObject({ error: 'MethodNotImplemented' })
      const remaining = res.headers.get('ratelimit-remaining')
      if (remaining !== null) expect(remaining).toMatch(/^\d+$/)
    }
    const remaining: string[] = []
    for (let i = 0; i < 3; i++) {
      const res = await xrpc(server, 'com.atproto.repo.createRecord', { repo: alice.did, collection: POST, record: post(`${i}`) }, token)
      expect(res.status).toBe(200)
      remaining.push(res.headers.get('ratelimit-remaining')!)
    }
    expect(remaining).toEqual(['6', '3', '0'])
    const refused = await xrpc(server, 'com.atproto.repo.createRecord', { repo: alice.did, collection: POST, record: post('over') }, token)
    expect(refused.status).toBe(429)
  })

  it('oversized bodies get 413 PayloadTooLarge at once: declared, undeclared, chunked', async () => {
    const bob = await server.createAccount('bob')
    const token = bob.agent.session!.accessJwt
    const bigSession = JSON.stringify({ identifier: bob.handle, password: 'x'.repeat(200_000) })
    const bigWrites = JSON.stringify({
      repo: bob.did,
      writes: [{ $type: 'com.atproto.repo.applyWrites#create', collection: POST, value: post('y'.repeat(200_000)) }],
    })
    const bigIngest = JSON.stringify({ scope: 'fit.steps', data: [{ blob: 'z'.repeat(300_000) }] })
    const cases: [string, string, string | undefined][] = [
      ['com.atproto.server.createSession', bigSession, undefined],
      ['com.atproto.repo.applyWrites', bigWrites, token],
      ['dev.hearth.scope.ingest', bigIngest, token],
    ]
    for (const [nsid, body, auth] of cases) {
      const headers = { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) }
      const declared = await fetch(`${server.url}/xrpc/${nsid}`, { method: 'POST', headers, body, signal: AbortSignal.timeout(TIMEOUT) })
      expect(declared.status, `${nsid} with Content-Length`).toBe(413)
      expect(await declared.json()).toMatchObject({ error: 'PayloadTooLarge' })
      const streamed = await postChunked(`${server.url}/xrpc/${nsid}`, body, headers)
      expect(streamed.status, `${nsid} chunked`).toBe(413)
      expect(streamed.json).toMatchObject({ error: 'PayloadTooLarge' })
    }
    // Nothing was written, and the server still answers normal requests.
    const list = await server.agent().com.atproto.repo.listRecords({ repo: bob.did, collection: POST })
    expect(list.data.records).toHaveLength(0)
    const ok = await xrpc(server, 'com.atproto.server.createSession', { identifier: bob.handle, password: bob.password })
    expect(ok.status).toBe(200)
    // A batch under the limit is still priced by its body (read once, shared with the route).
    const small = await xrpc(
      server,
      'com.atproto.repo.applyWrites',
      { repo: bob.did, writes: [{ $type: 'com.atproto.repo.applyWrites#create', collection: POST, value: post('fits') }] },
      token,
    )
    expect(small.status, await small.clone().text()).toBe(200)
    expect(small.headers.get('ratelimit-remaining')).toBe('6')
  })

  it('error messages do not echo long inputs back whole', async () => {
    const long = 'c'.repeat(14_000)
    const alice = await server.createAccount('echo')
    const paths = [
      `/xrpc/${long}`,
      `/xrpc/com.atproto.repo.listRecords?repo=${alice.did}&collection=${long}`,
      `/xrpc/com.atproto.repo.getRecord?repo=${alice.did}&collection=app.bsky.feed.post&rkey=${long}`,
      `/xrpc/com.atproto.sync.listBlobs?did=${alice.did}&cursor=${long}`,
      `/xrpc/com.atproto.sync.getRepo?did=did:plc:${long}`,
      `/xrpc/com.atproto.repo.describeRepo?repo=${long}`,
      `/${long}`,
    ]
    for (const p of paths) {
      const res = await fetch(`${server.url}${p}`, { signal: AbortSignal.timeout(TIMEOUT) })
      const text = await res.text()
      expect(res.status, p.slice(0, 80)).toBeLessThan(500)
      if (res.status < 400) continue
      expect(text.length, `${p.slice(0, 60)} answered ${text.slice(0, 120)}`).toBeLessThan(400)
    }
  })

  it('sign-in identifiers are capped in length before they key anything', async () => {
    const limits = server.pds.ctx.rateLimits
    const before = limits.sessionsPerAccount.size + limits.signInFailures.size
    for (const identifier of ['h'.repeat(254), `${'e'.repeat(320)}@example.com`, `did:web:${'d'.repeat(2100)}`, 'x'.repeat(60_000)]) {
      const res = await xrpc(server, 'com.atproto.server.createSession', { identifier, password: 'wrong' })
      expect(res.status).toBe(400)
      const body = await res.json()
      expect(body).toMatchObject({ error: 'InvalidRequest', message: expect.stringMatching(/identifier is longer than/) })
      expect(JSON.stringify(body).length).toBeLessThan(300)
    }
    expect(limits.sessionsPerAccount.size + limits.signInFailures.size).toBe(before)
    // A handle at the cap is still an ordinary failed sign-in.
    const res = await xrpc(server, 'com.atproto.server.createSession', { identifier: 'h'.repeat(253), password: 'wrong' })
    expect(res.status).toBe(401)
  })
})

describe('web routes have rate limits too', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({
      env: {
        HEARTH_RATE_LIMITS: 'on',
        HEARTH_RATE_WEB_SIGNINS_PER_IP: '5',
        HEARTH_RATE_WEB_REQUESTS_PER_IP: '8',
        HEARTH_GITHUB_CLIENT_ID: 'hearth-test-client',
        HEARTH_GITHUB_CLIENT_SECRET: 'hearth-test-secret',
      },
    })
  })
  afterAll(() => server.close({ removeData: true }))

  it('sign-in starts per address are limited, and so the stored sign-in states', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${server.url}/auth/github`, { redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT) })
      statuses.push(res.status)
      if (res.status === 429) {
        expect(await res.json()).toMatchObject({ error: 'RateLimitExceeded' })
        expect(res.headers.get('ratelimit-remaining')).toBe('0')
      } else await res.arrayBuffer()
    }
    expect(statuses.slice(0, 5).every((s) => s === 302)).toBe(true)
    expect(statuses.slice(5).every((s) => s === 429)).toBe(true)
    const rows = server.pds.ctx.db.prepare('SELECT count(*) AS n FROM oauth_state').get() as { n: number }
    expect(rows.n).toBe(5)
    // Pages have their own budget; it runs out too.
    const pages: number[] = []
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${server.url}/sign-in`, { signal: AbortSignal.timeout(TIMEOUT) })
      pages.push(res.status)
      await res.arrayBuffer()
    }
    expect(pages).toEqual([...Array(8).fill(200), 429, 429])
    // XRPC is not charged by these budgets.
    expect((await fetch(`${server.url}/xrpc/com.atproto.server.describeServer`)).status).toBe(200)
  })
})

describe('app-password revocation', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer()
  })
  afterAll(() => server.close({ removeData: true }))

  it('a revoked app password session stays dead when a new one takes its name in the same second', async () => {
    const alice = await server.createAccount('alice')
    const check = (token: string) =>
      fetch(`${server.url}/xrpc/com.atproto.server.getSession`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status)
    // The server's clock stands still (it runs in this process): every step below happens in the same second.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    try {
      await sameSecondRounds()
    } finally {
      vi.useRealTimers()
    }
    async function sameSecondRounds() {
    for (let round = 0; round < 3; round++) {
      const { data: made } = await alice.agent.com.atproto.server.createAppPassword({ name: 'x' })
      const session = await xrpc(server, 'com.atproto.server.createSession', { identifier: alice.handle, password: made.password })
      const { accessJwt, refreshJwt } = await session.json()
      expect(await check(accessJwt)).toBe(200)
      await alice.agent.com.atproto.server.revokeAppPassword({ name: 'x' })
      expect(await check(accessJwt)).toBe(401)
      // Same name, same second (tokens' iat has second resolution).
      const { data: again } = await alice.agent.com.atproto.server.createAppPassword({ name: 'x' })
      expect(again.name).toBe('x')
      expect(await check(accessJwt)).toBe(401)
      const refreshed = await fetch(`${server.url}/xrpc/com.atproto.server.refreshSession`, {
        method: 'POST',
        headers: { authorization: `Bearer ${refreshJwt}` },
      })
      expect(refreshed.status).toBe(401)
      await alice.agent.com.atproto.server.revokeAppPassword({ name: 'x' })
    }
    }
    // A session of the new password works, and refreshes into one that works.
    const { data: fresh } = await alice.agent.com.atproto.server.createAppPassword({ name: 'x' })
    const agent = server.agent()
    await agent.login({ identifier: alice.handle, password: fresh.password })
    await agent.com.atproto.server.refreshSession(undefined, { headers: { authorization: `Bearer ${agent.session!.refreshJwt}` } }).then(
      (r) => expect(check(r.data.accessJwt)).resolves.toBe(200),
    )
    const { data } = await alice.agent.com.atproto.server.listAppPasswords()
    expect(data.passwords.map((p) => Object.keys(p).sort())).toEqual([['createdAt', 'name', 'privileged']])
  })
})

describe('disk full', () => {
  let server: TestServer
  beforeAll(async () => {
    // A database that may not grow past a few MB: SQLITE_FULL on the write that would.
    server = await startTestServer({ config: { dbMaxPageCount: 600 } })
  })
  afterAll(() => server.close({ removeData: true }))

  it('a write that does not fit gets 507 StorageFull; nothing is corrupted; writes resume when there is room', { timeout: 240_000 }, async () => {
    const alice = await server.createAccount('alice')
    const token = alice.agent.session!.accessJwt
    const written: string[] = []
    let refused: Response | null = null
    for (let i = 0; i < 2000 && !refused; i++) {
      const res = await xrpc(server, 'com.atproto.repo.createRecord', { repo: alice.did, collection: POST, record: post(`${i} ${'words '.repeat(40)}`) }, token)
      if (res.status === 200) written.push(((await res.json()) as { uri: string }).uri)
      else refused = res
    }
    expect(refused, 'the database never filled').not.toBeNull()
    expect(refused!.status, await refused!.clone().text()).toBe(507)
    expect(await refused!.json()).toEqual({ error: 'StorageFull', message: expect.stringMatching(/out of storage/) })
    const db = server.pds.ctx.db
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    // Every acknowledged write is there, and nothing of the refused one.
    const count = (db.prepare('SELECT count(*) AS n FROM record WHERE did = ?').get(alice.did) as { n: number }).n
    expect(count).toBe(written.length)
    // An operator makes room: the repository goes on from where it was.
    db.pragma('max_page_count = 1000000')
    const after = await alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: POST, record: post('room again') })
    expect(after.success).toBe(true)
    const { data: car } = await alice.agent.com.atproto.sync.getRepo({ did: alice.did })
    const repo = await verifyRepoCar(car, alice.did)
    expect(repo.creates.length).toBe(written.length + 1)
  })
})

describe('account state', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer()
  })
  afterAll(() => server.close({ removeData: true }))

  it('deactivateAccount refuses a JSON array as its body and changes nothing', async () => {
    const alice = await server.createAccount('alice')
    for (const body of ['[]', '[{"deleteAfter":"2030-01-01T00:00:00Z"}]', '"x"', '1', 'null']) {
      const res = await xrpc(server, 'com.atproto.server.deactivateAccount', body, alice.agent.session!.accessJwt)
      expect(res.status, body).toBe(400)
      expect(await res.json()).toMatchObject({ error: 'InvalidRequest' })
    }
    expect(server.pds.ctx.accounts.get(alice.did)!.status).toBe('active')
  })

  it('getAccountInviteCodes lists the codes made for the caller, with their uses', async () => {
    const carol = await server.createAccount('carol')
    const empty = await carol.agent.com.atproto.server.getAccountInviteCodes()
    expect(empty.data.codes).toEqual([])
    const invites = server.pds.ctx.invites
    const spent = invites.create(1, 'admin', carol.did)
    const open = invites.create(2, 'admin', carol.did)
    invites.create(1, 'admin') // for no one in particular: not carol's
    invites.use(spent, 'did:plc:someoneelse')
    const { data } = await carol.agent.com.atproto.server.getAccountInviteCodes()
    expect(data.codes.map((c) => [c.code, c.available, c.uses.map((u) => u.usedBy)])).toEqual([
      [spent, 1, ['did:plc:someoneelse']],
      [open, 2, []],
    ])
    expect(data.codes[0]).toMatchObject({ forAccount: carol.did, createdBy: 'admin', disabled: false })
    const unused = await carol.agent.com.atproto.server.getAccountInviteCodes({ includeUsed: false })
    expect(unused.data.codes.map((c) => c.code)).toEqual([open])
    const anonymous = await fetch(`${server.url}/xrpc/com.atproto.server.getAccountInviteCodes`)
    expect(anonymous.status).toBe(401)
  })

  it('a deactivated account cannot create grants', async () => {
    const bob = await server.createAccount('bob')
    const app = await server.createAccount('app')
    const token = bob.agent.session!.accessJwt
    await bob.agent.com.atproto.server.deactivateAccount({})
    const res = await xrpc(server, 'dev.hearth.grant.create', { grantee: app.did, scopes: ['fit.steps'] }, token)
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: 'AccountDeactivated' })
    expect(server.pds.ctx.scopes.grants.listForOwner(bob.did)).toHaveLength(0)
    await bob.agent.com.atproto.server.activateAccount()
    const ok = await xrpc(server, 'dev.hearth.grant.create', { grantee: app.did, scopes: ['fit.steps'] }, token)
    expect(ok.status).toBe(200)
  })
})

describe('issuer keys are re-read at most once per interval', () => {
  let server: TestServer
  let didServer: http.Server
  let fetches = 0
  let webDid = ''
  let webKey: Secp256k1Keypair
  beforeAll(async () => {
    server = await startTestServer()
    webKey = await Secp256k1Keypair.create()
    // A did:web issuer on loopback (the resolver reads http://localhost:<port>/.well-known/did.json).
    didServer = http.createServer((req, res) => {
      fetches++
      const doc = {
        '@context': ['https://www.w3.org/ns/did/v1'],
        id: webDid,
        verificationMethod: [{ id: `${webDid}#atproto`, type: 'Multikey', controller: webDid, publicKeyMultibase: webKey.did().slice('did:key:'.length) }],
      }
      res.writeHead(req.url === '/.well-known/did.json' ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(doc))
    })
    await new Promise<void>((r) => didServer.listen(0, '127.0.0.1', () => r()))
    webDid = `did:web:localhost%3A${(didServer.address() as { port: number }).port}`
  })
  afterAll(async () => {
    await new Promise((r) => didServer.close(r))
    await server.close({ removeData: true })
  })

  it('50 forged tokens from a cached issuer cost one fresh fetch; a differently-cased did:web host is the same issuer', async () => {
    const app = await TestApp.register(server.plcUrl, 'keys')
    const aud = await serviceDid(server.url)
    const lxm = 'dev.hearth.scope.listRecords'
    const owner = await server.createAccount('owner')
    const params = { repo: owner.did, scope: 'fit.steps' }
    const call = (token: string) => app.call(server.url, lxm, { params, token })
    const fetched = vi.spyOn(server.pds.ctx.idResolver.did, 'resolveNoCheck')
    // A good token caches the key.
    expect((await call(await app.token({ aud, lxm }))).status).not.toBe(401)
    const before = fetched.mock.calls.length
    const forger = await Secp256k1Keypair.create()
    for (let i = 0; i < 50; i++) {
      const res = await call(await app.token({ aud, lxm, signer: forger }))
      expect(res.status).toBe(401)
      expect(res.json).toMatchObject({ error: 'BadJwtSignature' })
    }
    expect(fetched.mock.calls.length - before).toBeLessThanOrEqual(1)
    // The real key still works.
    expect((await call(await app.token({ aud, lxm }))).status).not.toBe(401)
    fetched.mockRestore()

    // did:web: one document, whatever case the host is written in.
    const upper = webDid.replace('localhost', 'LOCALHOST')
    for (const iss of [webDid, upper, webDid.replace('localhost', 'LocalHost')]) {
      const res = await call(await app.token({ aud, lxm, iss, signer: webKey }))
      expect(res.status, `${iss}: ${JSON.stringify(res.json)}`).not.toBe(401)
    }
    const webFetches = fetches
    expect(webFetches).toBe(1)
    for (let i = 0; i < 20; i++) {
      const res = await call(await app.token({ aud, lxm, iss: i % 2 ? upper : webDid, signer: forger }))
      expect(res.status).toBe(401)
    }
    expect(fetches - webFetches).toBeLessThanOrEqual(1)
  })
})

describe('start-up on a taken port', () => {
  it('says which port is taken and which variable sets it, without a stack trace', { timeout: 60_000 }, async () => {
    const { runChildServerToExit } = await import('../helpers/child-server.js')
    const fs = await import('node:fs')
    const os = await import('node:os')
    const path = await import('node:path')
    const holder = http.createServer()
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()))
    const port = (holder.address() as { port: number }).port
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-port-'))
    try {
      const result = await runChildServerToExit({
        HEARTH_PORT: String(port),
        HEARTH_HOST: '127.0.0.1',
        HEARTH_DATA_DIR: dataDir,
        HEARTH_LOG_LEVEL: 'silent',
        HEARTH_CONTROL_SOCKET: 'off',
      })
      expect(result.code).toBe(1)
      expect(result.output).toContain(`cannot listen on 127.0.0.1:${port}`)
      expect(result.output).toMatch(/already in use/)
      expect(result.output).toContain('HEARTH_PORT')
      expect(result.output).not.toMatch(/\n\s+at /)
    } finally {
      await new Promise((r) => holder.close(r))
      fs.rmSync(dataDir, { recursive: true, force: true })
    }
  })
})

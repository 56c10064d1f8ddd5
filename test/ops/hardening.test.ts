/**
 * Attacks on the live server's edge, with rate limits on (the default):
 * method names that are Object.prototype properties, bodies over their
 * limits (declared, undeclared, chunked), overlong sign-in identifiers.
 */
import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/test-server.js'

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

/**
 * The lean write path (src/xrpc/lean-writes.ts) against the full path, over
 * real HTTP: the same Hearth behind its usual listener (the lean paths
 * first) and behind a second listener with the Hono app alone. For each
 * request it takes (the four repository writes with a session token): the
 * full path's status, body shape and headers, every error in the XRPC shape
 * with the full path's status, message and headers, the write budget
 * charged once and shown on every answer, the same metrics and request ids.
 * Every request it must not take is left to the app, untouched.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serve, type ServerType } from '@hono/node-server'
import { startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'

const collection = 'app.bsky.feed.post'

/** A Hearth with its usual listener, recording what the lean paths said, and a listener that has the app alone. */
async function startPair(env: Record<string, string> = {}) {
  const server = await startTestServer({ env })
  const taken: boolean[] = []
  const lean = server.pds.lean
  server.pds.lean = (req, res) => {
    const answered = lean(req, res)
    taken.push(answered)
    return answered
  }
  const plain = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: server.pds.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
  })
  const plainUrl = `http://localhost:${(plain.address() as AddressInfo).port}`
  return {
    server,
    taken,
    plainUrl,
    async close() {
      ;(plain as http.Server).closeAllConnections()
      await new Promise((r) => plain.close(r))
      await server.close({ removeData: true })
    },
  }
}

interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
  json: Record<string, unknown>
}

/** A raw POST through Node's client, so the request is exactly these bytes and headers (fetch would add its own). */
function rawPost(base: string, path: string, body: string | Buffer, headers: Record<string, string | undefined> = {}): Promise<Answer> {
  const { port } = new URL(base)
  const sent: Record<string, string> = { host: `localhost:${port}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) delete sent[k]
    else sent[k] = v
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers: sent }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (text += d))
      res.on('end', () => {
        let json: Record<string, unknown> = {}
        try {
          json = JSON.parse(text)
        } catch {
          // not JSON: the test says so through `body`
        }
        resolve({ status: res.statusCode!, headers: res.headers, body: text, json })
      })
    })
    req.on('error', reject)
    // Chunked when no length is declared.
    if (sent['transfer-encoding'] === 'chunked') {
      req.write(body.slice(0, 5))
      req.end(body.slice(5))
    } else req.end(body)
  })
}

/** The headers an answer is judged by: all but those that differ per request, per listener or per spent budget. */
function comparable(h: http.IncomingHttpHeaders) {
  const { date: _date, 'x-request-id': _id, 'content-length': _length, 'ratelimit-remaining': _left, 'ratelimit-reset': _reset, ...rest } = h
  return rest
}

const xrpc = (nsid: string) => `/xrpc/${nsid}`

describe('the lean write path', () => {
  let pair: Awaited<ReturnType<typeof startPair>>
  let alice: TestAccount
  let bob: TestAccount
  let auth: Record<string, string>

  beforeAll(async () => {
    pair = await startPair()
    alice = await pair.server.createAccount('leanw')
    bob = await pair.server.createAccount('leanb')
    auth = { authorization: `Bearer ${alice.agent.session!.accessJwt}` }
  })
  afterAll(() => pair.close())

  /** One request to both listeners: whether the lean path took it, and both answers. */
  async function both(nsid: string, body: unknown, headers: Record<string, string | undefined> = auth) {
    const text = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body)
    const before = pair.taken.length
    const lean = await rawPost(pair.server.url, xrpc(nsid), text, headers)
    const full = await rawPost(pair.plainUrl, xrpc(nsid), text, headers)
    expect(pair.taken.length).toBe(before + 1)
    return { tookIt: pair.taken[before], lean, full }
  }

  const post = (text: string) => ({ $type: collection, text, createdAt: new Date().toISOString() })

  it('takes the four repository writes and answers them as the full path does', async () => {
    const created = await both('com.atproto.repo.createRecord', { repo: alice.did, collection, record: post('lean ✓ "quoted"') })
    expect(created.tookIt).toBe(true)
    expect(created.lean.status).toBe(200)
    expect(created.full.status).toBe(200)
    expect(Object.keys(created.lean.json).sort()).toEqual(Object.keys(created.full.json).sort())
    expect(created.lean.json.validationStatus).toBe('valid')
    expect(comparable(created.lean.headers)).toEqual(comparable(created.full.headers))
    const rkey = String(created.lean.json.uri).split('/').pop()!
    const stored = await alice.agent.com.atproto.repo.getRecord({ repo: alice.did, collection, rkey })
    expect(stored.data.cid).toBe(created.lean.json.cid)
    expect((stored.data.value as { text: string }).text).toBe('lean ✓ "quoted"')

    // The same rkey for both listeners: the lean one creates it, the full one finds it taken (same error both ways is checked below).
    const put = await both('com.atproto.repo.putRecord', { repo: alice.did, collection, rkey, record: post('put lean') })
    expect(put.tookIt).toBe(true)
    expect([put.lean.status, put.full.status]).toEqual([200, 200])
    expect(Object.keys(put.lean.json).sort()).toEqual(Object.keys(put.full.json).sort())
    expect(comparable(put.lean.headers)).toEqual(comparable(put.full.headers))

    const applied = await both('com.atproto.repo.applyWrites', {
      repo: alice.did,
      writes: [
        { $type: 'com.atproto.repo.applyWrites#create', collection, value: post('batch 1') },
        { $type: 'com.atproto.repo.applyWrites#create', collection, value: post('batch 2') },
      ],
    })
    expect(applied.tookIt).toBe(true)
    expect([applied.lean.status, applied.full.status]).toEqual([200, 200])
    expect((applied.lean.json.results as unknown[]).length).toBe(2)
    expect(comparable(applied.lean.headers)).toEqual(comparable(applied.full.headers))

    const deleted = await both('com.atproto.repo.deleteRecord', { repo: alice.did, collection, rkey })
    expect(deleted.tookIt).toBe(true)
    expect([deleted.lean.status, deleted.full.status]).toEqual([200, 200])
    expect(comparable(deleted.lean.headers)).toEqual(comparable(deleted.full.headers))
    await expect(alice.agent.com.atproto.repo.getRecord({ repo: alice.did, collection, rkey })).rejects.toThrow(/Could not locate record/)

    // Through the standard client as well: the whole suite's writes take this path.
    const before = pair.taken.filter(Boolean).length
    await alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection, record: post('via @atproto/api') })
    expect(pair.taken.filter(Boolean).length).toBe(before + 1)
  })

  it('answers every error it meets in the full path’s status, shape, message and headers, changing nothing', async () => {
    const head = async () => (await alice.agent.com.atproto.sync.getLatestCommit({ did: alice.did })).data.cid
    const commitBefore = await head()
    const cases: [string, unknown, Record<string, string | undefined>?][] = [
      // Credentials: none valid, a refresh token, another account's repo.
      ['com.atproto.repo.createRecord', { repo: alice.did, collection, record: post('x') }, { authorization: 'Bearer not.a.token' }],
      ['com.atproto.repo.createRecord', { repo: alice.did, collection, record: post('x') }, { authorization: 'Basic dXNlcjpwYXNz' }],
      ['com.atproto.repo.createRecord', { repo: alice.did, collection, record: post('x') }, { authorization: `Bearer ${alice.agent.session!.refreshJwt}` }],
      ['com.atproto.repo.createRecord', { repo: bob.did, collection, record: post('x') }],
      // Input: not JSON, not UTF-8, not an object, not the lexicon's shape, a record its lexicon refuses.
      ['com.atproto.repo.createRecord', '{"repo": '],
      ['com.atproto.repo.createRecord', Buffer.from([0x7b, 0xff, 0x7d])],
      ['com.atproto.repo.createRecord', '[1, 2]'],
      ['com.atproto.repo.createRecord', { repo: alice.did, record: post('no collection') }],
      ['com.atproto.repo.createRecord', { repo: alice.did, collection, record: { $type: collection, text: 42 } }],
      ['com.atproto.repo.createRecord', { repo: alice.did, collection: 'not an nsid', record: post('x') }],
      // The repository's own refusals.
      ['com.atproto.repo.createRecord', { repo: alice.did, collection, record: post('x'), swapCommit: 'bafyreibogusbogusbogusbogusbogusbogusbogusbogusbogusboguso' }],
      ['com.atproto.repo.createRecord', { repo: 'did:plc:nobodyhereatall', collection, record: post('x') }],
      ['com.atproto.repo.putRecord', { repo: alice.did, collection, rkey: 'not a key!', record: post('x') }],
      ['com.atproto.repo.applyWrites', { repo: alice.did, writes: [] }],
      ['com.atproto.repo.applyWrites', { repo: alice.did, writes: [{ $type: 'com.atproto.repo.applyWrites#update', collection, rkey: '3zzzzzzzzzzzz', value: post('x') }] }],
    ]
    for (const [nsid, body, headers] of cases) {
      const label = `${nsid} ${typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('hex') : JSON.stringify(body)} ${JSON.stringify(headers ?? {})}`
      const { tookIt, lean, full } = await both(nsid, body, headers ?? auth)
      expect(tookIt, label).toBe(true)
      expect(lean.status, label).toBeGreaterThanOrEqual(400)
      expect(lean.status, label).toBeLessThan(500)
      expect(lean.status, label).toBe(full.status)
      expect(lean.body, label).toBe(full.body)
      expect(Object.keys(lean.json).sort(), label).toEqual(['error', 'message'])
      expect(comparable(lean.headers), label).toEqual(comparable(full.headers))
    }
    expect(await head()).toBe(commitBefore)
  })

  it('leaves every request it cannot read the full path’s way to the app', async () => {
    const body = JSON.stringify({ repo: alice.did, collection, record: post('not lean') })
    const offers: [string, Record<string, string | undefined>][] = [
      [xrpc('com.atproto.repo.createRecord'), { authorization: undefined }],
      [xrpc('com.atproto.repo.createRecord'), { ...auth, dpop: 'not-a-proof' }],
      [xrpc('com.atproto.repo.createRecord'), { ...auth, 'atproto-proxy': 'did:web:api.bsky.app#bsky_appview' }],
      [xrpc('com.atproto.repo.createRecord'), { ...auth, expect: '100-continue' }],
      [xrpc('com.atproto.repo.createRecord'), { ...auth, 'content-type': 'text/plain' }],
      [xrpc('com.atproto.repo.createRecord'), { ...auth, 'content-length': undefined, 'transfer-encoding': 'chunked' }],
      [xrpc('com.atproto.repo.createRecord'), { ...auth, host: 'LOCALHOST' }],
      [xrpc('com.atproto.repo.createRecord') + '?x=1', auth],
      [xrpc('com.atproto.repo.createRecord') + '/', auth],
      [xrpc('com.atproto.repo.uploadBlob'), auth],
      [xrpc('com.atproto.server.createSession'), auth],
    ]
    for (const [path, headers] of offers) {
      const before = pair.taken.length
      const answer = await rawPost(pair.server.url, path, body, headers)
      expect(pair.taken.slice(before), `${path} ${JSON.stringify(headers)}`).toEqual([false])
      const full = await rawPost(pair.plainUrl, path, body, headers)
      expect(answer.status, path).toBe(full.status)
    }
    // A body past the JSON limit is left to the full path too, which refuses it as it streams.
    const huge = JSON.stringify({ repo: alice.did, collection, record: post('x'.repeat(pair.server.pds.ctx.config.maxJsonBodyBytes)) })
    const before = pair.taken.length
    const refused = await rawPost(pair.server.url, xrpc('com.atproto.repo.createRecord'), huge, auth)
    expect(pair.taken.slice(before)).toEqual([false])
    expect(refused.status).toBe(413)
  })

  it('counts and names its requests as the full path does, and keeps a caller’s request id', async () => {
    const metrics = pair.server.pds.ctx.metrics
    const countOf = async (status: string) => {
      const { values } = await metrics.httpRequests.get()
      return values.find((v) => v.labels.route === 'com.atproto.repo.createRecord' && v.labels.status === status && v.labels.method === 'POST')?.value ?? 0
    }
    const ok = await countOf('200')
    const bad = await countOf('400')
    const own = await both('com.atproto.repo.createRecord', { repo: alice.did, collection, record: post('traced') }, { ...auth, 'x-request-id': 'trace-0123456789' })
    expect(own.tookIt).toBe(true)
    expect(own.lean.headers['x-request-id']).toBe('trace-0123456789')
    expect(own.full.headers['x-request-id']).toBe('trace-0123456789')
    const made = await both('com.atproto.repo.createRecord', '{', { ...auth, 'x-request-id': 'no spaces allowed' })
    expect(made.lean.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect((await countOf('200')) - ok).toBe(2)
    expect((await countOf('400')) - bad).toBe(2)
  })
})

describe('the lean write path under write budgets', () => {
  let pair: Awaited<ReturnType<typeof startPair>>
  let alice: TestAccount

  beforeAll(async () => {
    // 10 points an hour: three creates (3 points each) and a fourth is refused.
    pair = await startPair({ HEARTH_RATE_LIMITS: 'on', HEARTH_RATE_WRITE_POINTS_HOUR: '10' })
    alice = await pair.server.createAccount('budget')
  })
  afterAll(() => pair.close())

  it('spends the same budget as the full path, shows it on every answer and refuses in the same way', async () => {
    const auth = { authorization: `Bearer ${alice.agent.session!.accessJwt}` }
    const body = () => JSON.stringify({ repo: alice.did, collection, record: { $type: collection, text: 'budgeted', createdAt: new Date().toISOString() } })
    const path = xrpc('com.atproto.repo.createRecord')
    const leanOk = await rawPost(pair.server.url, path, body(), auth)
    const fullOk = await rawPost(pair.plainUrl, path, body(), auth)
    expect([leanOk.status, fullOk.status]).toEqual([200, 200])
    expect(pair.taken.filter(Boolean).length).toBe(1)
    // One budget, whichever path spent it.
    expect(leanOk.headers['ratelimit-remaining']).toBe('7')
    expect(fullOk.headers['ratelimit-remaining']).toBe('4')
    expect(comparable(leanOk.headers)).toEqual(comparable(fullOk.headers))
    // An error after the charge carries the budget too.
    const leanBad = await rawPost(pair.server.url, path, JSON.stringify({ repo: alice.did, collection, record: { $type: collection } }), auth)
    expect(leanBad.status).toBe(400)
    expect(leanBad.headers['ratelimit-remaining']).toBe('1')
    // Past the budget: 429 in the same shape, headers and metrics.
    const rateLimited = async () => (await pair.server.pds.ctx.metrics.rateLimited.get()).values.reduce((n, v) => n + v.value, 0)
    const refusedBefore = await rateLimited()
    const leanRefused = await rawPost(pair.server.url, path, body(), auth)
    const fullRefused = await rawPost(pair.plainUrl, path, body(), auth)
    expect([leanRefused.status, fullRefused.status]).toEqual([429, 429])
    expect(pair.taken.filter(Boolean).length).toBe(3)
    expect(leanRefused.body).toBe(fullRefused.body)
    expect(leanRefused.json.error).toBe('RateLimitExceeded')
    expect(comparable(leanRefused.headers)).toEqual(comparable(fullRefused.headers))
    expect(leanRefused.headers['ratelimit-remaining']).toBe('1')
    expect((await rateLimited()) - refusedBefore).toBe(2)
    expect((await alice.agent.com.atproto.repo.listRecords({ repo: alice.did, collection })).data.records).toHaveLength(2)
  })
})

/**
 * The lean read path (src/xrpc/lean-reads.ts) against the full path: for the
 * requests it takes (getRecord, listRecords), the same status, body and headers as the Hono app gives
 * (compared over real HTTP with a second listener that only has the app);
 * the same metrics and request ids; and every request it must not take
 * (credentials, DPoP, proxying, other verbs, errors, URLs a parser would
 * re-encode) left untouched for the app to answer.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serve, type ServerType } from '@hono/node-server'
import { startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'

let server: TestServer
let plain: ServerType
let plainUrl: string
let alice: TestAccount
let rkey: string
let cid: string
/** What the lean path said for each request it was offered, in order. */
const taken: boolean[] = []

const collection = 'app.bsky.feed.post'

beforeAll(async () => {
  server = await startTestServer()
  // Offered to the lean path through the test server's listener, as `npm start` does; the answer recorded.
  const lean = server.pds.lean
  server.pds.lean = (req, res) => {
    const answered = lean(req, res)
    taken.push(answered)
    return answered
  }
  // The same Hearth behind a listener with the app alone: the full path's answers.
  plain = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: server.pds.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
  })
  plainUrl = `http://localhost:${(plain.address() as AddressInfo).port}`
  alice = await server.createAccount('lean')
  const res = await alice.agent.com.atproto.repo.createRecord({
    repo: alice.did,
    collection,
    record: { $type: collection, text: 'héllo "lean" path 🔥', createdAt: new Date().toISOString() },
  })
  rkey = res.data.uri.split('/').pop()!
  cid = res.data.cid
})

afterAll(async () => {
  ;(plain as http.Server).closeAllConnections()
  await new Promise((r) => plain.close(r))
  await server.close({ removeData: true })
})

/** A raw GET through Node's client, so the request line is exactly `path` (fetch would normalise it). */
function rawGet(base: string, path: string, headers: Record<string, string> = {}, method = 'GET') {
  const { port } = new URL(base)
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers: { host: `localhost:${port}`, ...headers } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** The headers an answer is judged by: all but those that differ per request or per listener. */
function comparable(h: http.IncomingHttpHeaders) {
  const { date: _date, 'x-request-id': _id, ...rest } = h
  return rest
}

/** One request to both listeners: whether the lean path took it, and both answers. */
async function both(path: string, headers: Record<string, string> = {}, method = 'GET') {
  const before = taken.length
  const lean = await rawGet(server.url, path, headers, method)
  const full = await rawGet(plainUrl, path, headers, method)
  expect(taken.length).toBe(before + 1)
  return { tookIt: taken[before], lean, full }
}

const getRecordPath = (q: string) => `/xrpc/com.atproto.repo.getRecord?${q}`

describe('the lean read path', () => {
  it('answers getRecord with the full path’s status, body and headers, however the query is written', async () => {
    const did = alice.did
    const queries = [
      `repo=${did}&collection=${collection}&rkey=${rkey}`,
      `repo=${encodeURIComponent(did)}&collection=${encodeURIComponent(collection)}&rkey=${rkey}`,
      `rkey=${rkey}&collection=${collection}&repo=${alice.handle}`,
      `repo=${did}&collection=${collection}&rkey=${rkey}&cid=${cid}`,
      `repo=${did}&collection=${collection}&rkey=${rkey}&unknown=1&unknown=2`,
      // Repeated: the first value counts on both paths.
      `repo=${did}&repo=did:plc:nobody&collection=${collection}&rkey=${rkey}`,
      `repo=%64id%3a${did.slice(4)}&collection=${collection}&rkey=${rkey}`,
    ]
    for (const q of queries) {
      const { tookIt, lean, full } = await both(getRecordPath(q))
      expect(tookIt, q).toBe(true)
      expect(lean.status, q).toBe(200)
      expect(lean.body, q).toBe(full.body)
      expect(comparable(lean.headers), q).toEqual(comparable(full.headers))
    }
    const value = JSON.parse((await rawGet(server.url, getRecordPath(queries[0]))).body).value
    expect(value.text).toBe('héllo "lean" path 🔥')
  })

  it('answers listRecords the same way, pages and cursors included', async () => {
    for (let i = 0; i < 4; i++) {
      await alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection, record: { $type: collection, text: `page ${i} ✓`, createdAt: new Date().toISOString() } })
    }
    const did = alice.did
    const queries = [
      `repo=${did}&collection=${collection}`,
      `repo=${did}&collection=${collection}&limit=2`,
      `repo=${alice.handle}&collection=${collection}&limit=2&reverse=true`,
      `repo=${encodeURIComponent(did)}&collection=${collection}&limit=1&cursor=${rkey}`,
      `repo=${did}&collection=${collection}&limit=3&reverse=false&unknown=1`,
      `repo=${did}&collection=app.bsky.feed.like`,
    ]
    for (const q of queries) {
      const { tookIt, lean, full } = await both(`/xrpc/com.atproto.repo.listRecords?${q}`)
      expect(tookIt, q).toBe(true)
      expect(lean.status, q).toBe(200)
      expect(lean.body, q).toBe(full.body)
      expect(comparable(lean.headers), q).toEqual(comparable(full.headers))
    }
    const page = JSON.parse((await rawGet(server.url, `/xrpc/com.atproto.repo.listRecords?${queries[1]}`)).body)
    expect(page.records).toHaveLength(2)
    expect(page.cursor).toBe(page.records[1].uri.split('/').pop())
    for (const q of [`repo=${did}&collection=${collection}&limit=0`, `repo=${did}&collection=${collection}&reverse=maybe`, `repo=${did}&collection=${collection}&cursor=not%20a%20key`, `repo=did:plc:nobodyhere&collection=${collection}`]) {
      const { tookIt, lean, full } = await both(`/xrpc/com.atproto.repo.listRecords?${q}`)
      expect(tookIt, q).toBe(false)
      expect(lean.status, q).toBe(400)
      expect(lean.body, q).toBe(full.body)
    }
  })

  it('leaves errors to the full path, which answers them in the XRPC shape', async () => {
    const cases = [
      `repo=${alice.did}&collection=${collection}&rkey=3zzzzzzzzzzzz`,
      `repo=${alice.did}&collection=${collection}`,
      `repo=not-a-repo&collection=${collection}&rkey=${rkey}`,
      `repo=${alice.did}&collection=${collection}&rkey=${rkey}&cid=bafyreibogus`,
      `repo=did:plc:nobodyhere&collection=${collection}&rkey=${rkey}`,
    ]
    for (const q of cases) {
      const { tookIt, lean, full } = await both(getRecordPath(q))
      expect(tookIt, q).toBe(false)
      expect(lean.status, q).toBe(400)
      expect(lean.body, q).toBe(full.body)
      expect(Object.keys(JSON.parse(lean.body)).sort(), q).toEqual(['error', 'message'])
    }
  })

  it('leaves every request that needs more than a public read to the full path', async () => {
    const q = `repo=${alice.did}&collection=${collection}&rkey=${rkey}`
    const offers: [string, Record<string, string>, string?][] = [
      [getRecordPath(q), { authorization: `Bearer ${alice.agent.session!.accessJwt}` }],
      [getRecordPath(q), { dpop: 'not-a-proof' }],
      [getRecordPath(q), { 'atproto-proxy': 'did:web:api.bsky.app#bsky_appview' }],
      [getRecordPath(q), {}, 'HEAD'],
      [getRecordPath(q), {}, 'DELETE'],
      [getRecordPath(q), { 'content-length': '0' }],
      // Characters a URL parser re-encodes, and a Host it would have to check.
      [getRecordPath(`${q}&x={}`), {}],
      [getRecordPath(q), { host: 'LOCALHOST' }],
      // Other methods, known and unknown, and paths that only look alike.
      ['/xrpc/com.atproto.repo.describeRepo?repo=' + alice.did, {}],
      ['/xrpc/com.atproto.repo.getRecord/?' + q, {}],
      ['/xrpc/_health', {}],
    ]
    for (const [path, headers, method] of offers) {
      const { tookIt, lean, full } = await both(path, headers, method)
      expect(tookIt, `${method ?? 'GET'} ${path} ${JSON.stringify(headers)}`).toBe(false)
      expect(lean.status).toBe(full.status)
    }
  })

  it('counts, times and names its requests as the full path does, and keeps a caller’s request id', async () => {
    const metrics = server.pds.ctx.metrics
    const countOf = async () => {
      const { values } = await metrics.httpRequests.get()
      return values.find((v) => v.labels.route === 'com.atproto.repo.getRecord' && v.labels.status === '200' && v.labels.method === 'GET')?.value ?? 0
    }
    const before = await countOf()
    const q = `repo=${alice.did}&collection=${collection}&rkey=${rkey}`
    const own = await both(getRecordPath(q), { 'x-request-id': 'trace-0123456789' })
    expect(own.tookIt).toBe(true)
    expect(own.lean.headers['x-request-id']).toBe('trace-0123456789')
    expect(own.full.headers['x-request-id']).toBe('trace-0123456789')
    const made = await both(getRecordPath(q), { 'x-request-id': 'no spaces allowed' })
    expect(made.lean.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    // Two answers from each listener, the same Hearth: four counted.
    expect((await countOf()) - before).toBe(4)
    const { values } = await metrics.httpDuration.get()
    expect(values.some((v) => v.labels.route === 'com.atproto.repo.getRecord')).toBe(true)
  })
})

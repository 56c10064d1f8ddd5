/**
 * Rate limits (429 in the XRPC error shape with ratelimit-* headers), the
 * failed sign-in limit, per-address limits that a forged X-Forwarded-For
 * cannot escape, the larger ingest budget of the control socket, CORS and
 * body limits on XRPC, request ids, and /metrics as valid Prometheus text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AtpAgent } from '@atproto/api'
import { startTestServer, type TestServer } from '../helpers/test-server.js'
import { ControlClient } from '../../src/control/control-client.js'

const POST = 'app.bsky.feed.post'
const post = (text: string) => ({ $type: POST, text, createdAt: new Date().toISOString() })

async function xrpc(server: TestServer, nsid: string, body: unknown, token?: string, headers: Record<string, string> = {}) {
  return fetch(`${server.url}/xrpc/${nsid}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify(body),
  })
}

function expectRateLimitHeaders(res: Response, limit: number) {
  expect(res.headers.get('ratelimit-limit')).toBe(String(limit))
  const remaining = res.headers.get('ratelimit-remaining')
  expect(remaining).toMatch(/^\d+$/)
  expect(Number(remaining)).toBeLessThanOrEqual(limit)
  expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000)
  expect(res.headers.get('ratelimit-policy')).toMatch(new RegExp(`^${limit};w=\\d+$`))
}

describe('rate limits', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({
      env: {
        HEARTH_RATE_LIMITS: 'on',
        HEARTH_RATE_WRITE_POINTS_HOUR: '12',
        HEARTH_RATE_SIGNIN_FAILURES: '3',
        HEARTH_MAX_JSON_BYTES: '4096',
        HEARTH_CONTROL_INGEST_MAX_BYTES: '16384',
      },
    })
  })
  afterAll(() => server.close({ removeData: true }))

  it('writes: 12 points an hour is four creates; the fifth is 429 with headers and writes nothing', async () => {
    const alice = await server.createAccount('alice')
    const token = alice.agent.session!.accessJwt
    const remaining: number[] = []
    for (let i = 0; i < 4; i++) {
      const res = await xrpc(server, 'com.atproto.repo.createRecord', { repo: alice.did, collection: POST, record: post(`ok ${i}`) }, token)
      expect(res.status).toBe(200)
      expectRateLimitHeaders(res, 12)
      remaining.push(Number(res.headers.get('ratelimit-remaining')))
    }
    expect(remaining).toEqual([9, 6, 3, 0])
    const refused = await xrpc(server, 'com.atproto.repo.createRecord', { repo: alice.did, collection: POST, record: post('too many') }, token)
    expect(refused.status).toBe(429)
    expectRateLimitHeaders(refused, 12)
    expect(refused.headers.get('ratelimit-remaining')).toBe('0')
    expect(await refused.json()).toMatchObject({ error: 'RateLimitExceeded', message: expect.stringMatching(/writes-per-hour/) })
    // @atproto/api sees the standard error too.
    await expect(alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: POST, record: post('again') })).rejects.toMatchObject({
      status: 429,
      error: 'RateLimitExceeded',
    })
    const list = await server.agent().com.atproto.repo.listRecords({ repo: alice.did, collection: POST })
    expect(list.data.records).toHaveLength(4)

    // A scope ingest is priced per object (3 each), not per call.
    const carol = await server.createAccount('carol')
    const carolToken = carol.agent.session!.accessJwt
    const three = await xrpc(server, 'dev.hearth.scope.ingest', { scope: 'fit.steps', data: [{ n: 1 }, { n: 2 }, { n: 3 }] }, carolToken)
    expect(three.status).toBe(200)
    expect(three.headers.get('ratelimit-remaining')).toBe('3')
    const two = await xrpc(server, 'dev.hearth.scope.ingest', { scope: 'fit.steps', data: [{ n: 4 }, { n: 5 }] }, carolToken)
    expect(two.status).toBe(429)

    // Another account has its own budget.
    const bob = await server.createAccount('bob')
    const ok = await xrpc(server, 'com.atproto.repo.createRecord', { repo: bob.did, collection: POST, record: post('bob') }, bob.agent.session!.accessJwt)
    expect(ok.status).toBe(200)
  })

  it('applyWrites costs create 3, update 2, delete 1', async () => {
    const carol = await server.createAccount('carol')
    const token = carol.agent.session!.accessJwt
    const THING = 'com.example.thing'
    const creates = [0, 1, 2].map((i) => ({ $type: 'com.atproto.repo.applyWrites#create', collection: THING, rkey: `r${i}`, value: { $type: THING, n: i } }))
    const first = await xrpc(server, 'com.atproto.repo.applyWrites', { repo: carol.did, writes: creates }, token)
    expect(first.status, await first.clone().text()).toBe(200)
    expect(first.headers.get('ratelimit-remaining')).toBe('3')
    const mixed = [
      { $type: 'com.atproto.repo.applyWrites#update', collection: THING, rkey: 'r0', value: { $type: THING, n: 10 } },
      { $type: 'com.atproto.repo.applyWrites#delete', collection: THING, rkey: 'r1' },
    ]
    const second = await xrpc(server, 'com.atproto.repo.applyWrites', { repo: carol.did, writes: mixed }, token)
    expect(second.status).toBe(200)
    expect(second.headers.get('ratelimit-remaining')).toBe('0')
    const third = await xrpc(server, 'com.atproto.repo.deleteRecord', { repo: carol.did, collection: THING, rkey: 'r2' }, token)
    expect(third.status).toBe(429)
  })

  it('the control socket ingests with its own, larger budget', async () => {
    const dave = await server.createAccount('dave')
    const token = dave.agent.session!.accessJwt
    for (let i = 0; i < 4; i++) await xrpc(server, 'com.atproto.repo.createRecord', { repo: dave.did, collection: POST, record: post(`${i}`) }, token)
    expect((await xrpc(server, 'com.atproto.repo.createRecord', { repo: dave.did, collection: POST, record: post('x') }, token)).status).toBe(429)
    const control = new ControlClient(server.pds.controlSocket!)
    const records = Array.from({ length: 100 }, (_, i) => ({ n: i }))
    const res = await control.json('POST', '/ingest', { repo: dave.did, collection: 'com.example.bulk', records })
    expect(res.results).toHaveLength(100)
    // Body limits on the socket: the ingest limit for /ingest, 64 KiB for the rest.
    const tooBig = await control.request('POST', '/ingest', { repo: dave.did, collection: 'com.example.bulk', records: [{ blob: 'x'.repeat(20_000) }] })
    expect(tooBig.statusCode).toBe(413)
    tooBig.resume()
    const hugeAdmin = await control.request('POST', '/accounts', { handle: 'x'.repeat(70_000) })
    expect(hugeAdmin.statusCode).toBe(413)
    hugeAdmin.resume()
  })

  it('failed sign-ins: three per identifier, whatever form it takes; then 429 even with the right password', async () => {
    const erin = await server.createAccount('erin')
    const attempt = (identifier: string, password: string) => xrpc(server, 'com.atproto.server.createSession', { identifier, password })
    expect((await attempt(erin.handle, 'wrong-1')).status).toBe(401)
    expect((await attempt(erin.did, 'wrong-2')).status).toBe(401)
    expect((await attempt(erin.handle.toUpperCase(), 'wrong-3')).status).toBe(401)
    const blocked = await attempt(erin.handle, erin.password)
    expect(blocked.status).toBe(429)
    expectRateLimitHeaders(blocked, 3)
    expect(await blocked.json()).toMatchObject({ error: 'RateLimitExceeded', message: expect.stringMatching(/failed-sign-ins/) })
    // Someone else signs in fine.
    const frank = await server.createAccount('frank')
    expect((await attempt(frank.handle, frank.password)).status).toBe(200)
  })

  it('XRPC answers CORS preflights, tags responses with a request id, and refuses oversized bodies with 413', async () => {
    const preflight = await fetch(`${server.url}/xrpc/com.atproto.repo.createRecord`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/)
    const described = await fetch(`${server.url}/xrpc/com.atproto.server.describeServer`, { headers: { origin: 'https://app.example' } })
    expect(described.headers.get('access-control-allow-origin')).toBe('*')
    expect(described.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)

    const gina = await server.createAccount('gina')
    const big = await xrpc(server, 'com.atproto.repo.createRecord', { repo: gina.did, collection: POST, record: post('x'.repeat(5000)) }, gina.agent.session!.accessJwt)
    expect(big.status).toBe(413)
    expect(await big.json()).toMatchObject({ error: 'PayloadTooLarge' })
  })

  it('/metrics on the control socket parses as Prometheus text and counts what happened', async () => {
    const text = await new ControlClient(server.pds.controlSocket!).text('GET', '/metrics')
    const samples = parsePrometheus(text)
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples
        .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        .reduce((sum, s) => sum + s.value, 0)
    expect(value('hearth_http_requests_total', { method: 'POST', route: 'com.atproto.repo.createRecord', status: '429' })).toBeGreaterThanOrEqual(3)
    expect(value('hearth_http_requests_total', { method: 'POST', route: 'com.atproto.repo.createRecord', status: '200' })).toBeGreaterThanOrEqual(9)
    expect(value('hearth_http_request_duration_seconds_count', { route: 'com.atproto.repo.createRecord' })).toBeGreaterThanOrEqual(12)
    expect(value('hearth_rate_limited_total', { limit: 'writes-per-hour' })).toBeGreaterThanOrEqual(3)
    expect(value('hearth_rate_limited_total', { limit: 'failed-sign-ins' })).toBe(1)
    // alice 4, 3 scope records, bob 1, carol 3, dave 4 + 100 ingested
    expect(value('hearth_record_writes_total', { action: 'create' })).toBe(4 + 3 + 1 + 3 + 4 + 100) // + 3 scope records ingested
    expect(value('hearth_record_writes_total', { action: 'update' })).toBe(1)
    expect(value('hearth_record_writes_total', { action: 'delete' })).toBe(1)
    expect(value('hearth_events_total', { type: '#commit', repo: 'public' })).toBeGreaterThan(10)
    expect(value('hearth_accounts', { status: 'active' })).toBe(8) // with the scope-ingest account
    expect(value('hearth_database_size_bytes')).toBeGreaterThan(10_000)
    expect(value('hearth_event_log_last_seq')).toBe(server.pds.ctx.eventLog.lastSeq())
    expect(samples.some((s) => s.name === 'hearth_firehose_subscribers')).toBe(true)
  })
})

describe('per-address session limit', () => {
  it('a forged X-Forwarded-For does not give a new budget unless the proxy is trusted', async () => {
    const server = await startTestServer({ env: { HEARTH_RATE_LIMITS: 'on', HEARTH_RATE_SESSIONS_PER_IP: '5' } })
    try {
      const statuses: number[] = []
      for (let i = 0; i < 7; i++) {
        const res = await xrpc(server, 'com.atproto.server.createSession', { identifier: `nobody${i}.test`, password: 'whatever-pw' }, undefined, {
          'x-forwarded-for': `203.0.113.${i}`,
        })
        statuses.push(res.status)
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429])
    } finally {
      await server.close({ removeData: true })
    }
    const proxied = await startTestServer({ env: { HEARTH_RATE_LIMITS: 'on', HEARTH_RATE_SESSIONS_PER_IP: '5', HEARTH_TRUST_PROXY: 'true' } })
    try {
      for (let i = 0; i < 7; i++) {
        const res = await xrpc(proxied, 'com.atproto.server.createSession', { identifier: `nobody${i}.test`, password: 'whatever-pw' }, undefined, {
          'x-forwarded-for': `198.51.100.1, 203.0.113.${i}`,
        })
        expect(res.status).toBe(401)
      }
    } finally {
      await proxied.close({ removeData: true })
    }
  })

  it('HEARTH_RATE_LIMITS=off: no limit, no headers', async () => {
    const server = await startTestServer({ env: { HEARTH_RATE_LIMITS: 'off', HEARTH_RATE_WRITE_POINTS_HOUR: '3' } })
    try {
      const henry = await server.createAccount('henry')
      const agent = new AtpAgent({ service: server.url })
      await agent.login({ identifier: henry.handle, password: henry.password })
      for (let i = 0; i < 5; i++) {
        const res = await xrpc(server, 'com.atproto.repo.createRecord', { repo: henry.did, collection: POST, record: post(`${i}`) }, agent.session!.accessJwt)
        expect(res.status).toBe(200)
        expect(res.headers.get('ratelimit-limit')).toBeNull()
      }
    } finally {
      await server.close({ removeData: true })
    }
  })
})

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/** A strict reader of the Prometheus text format (0.0.4): throws on any line it does not understand. */
function parsePrometheus(text: string): Sample[] {
  const typed = new Map<string, string>()
  const samples: Sample[] = []
  const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line)
    if (meta) {
      if (!metricName.test(meta[2])) throw new Error(`line ${i + 1}: bad metric name ${meta[2]}`)
      if (meta[1] === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(meta[3])) throw new Error(`line ${i + 1}: bad type`)
        typed.set(meta[2], meta[3])
      }
      continue
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line)
    if (!m) throw new Error(`line ${i + 1} is not a sample: ${line}`)
    const labels: Record<string, string> = {}
    if (m[2]) {
      const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy
      let consumed = 0
      for (let lm; (lm = labelRe.exec(m[2])); ) {
        labels[lm[1]] = lm[2].replace(/\\(.)/g, (_, ch) => (ch === 'n' ? '\n' : ch))
        consumed = labelRe.lastIndex
      }
      if (consumed !== m[2].length) throw new Error(`line ${i + 1}: bad labels ${m[2]}`)
    }
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3])
    if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`line ${i + 1}: bad value ${m[3]}`)
    const family = m[1].replace(/_(bucket|sum|count)$/, '')
    if (!typed.has(m[1]) && !typed.has(family)) throw new Error(`line ${i + 1}: sample of ${m[1]} without a # TYPE line`)
    samples.push({ name: m[1], labels, value })
  }
  if (samples.length === 0) throw new Error('no samples')
  return samples
}

/**
 * HEARTH_CRAWLERS: a stand-in relay (a small HTTP server that records what
 * it is sent) gets com.atproto.sync.requestCrawl at start and after new
 * accounts, never twice within HEARTH_CRAWL_INTERVAL_SEC.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/test-server.js'
import { eventually } from './stream-reader.js'

interface Call {
  at: number
  method: string
  path: string
  body: unknown
}

describe('requestCrawl to the configured relays', () => {
  const calls: Call[] = []
  let relay: http.Server
  let relayUrl: string
  let server: TestServer

  beforeAll(async () => {
    relay = http.createServer((req, res) => {
      let data = ''
      req.on('data', (c) => (data += c))
      req.on('end', () => {
        calls.push({ at: Date.now(), method: req.method!, path: req.url!, body: data ? JSON.parse(data) : null })
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      })
    })
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', () => resolve()))
    relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await server?.close({ removeData: true })
    await new Promise<void>((resolve) => relay.close(() => resolve()))
  })

  it('asks at start, after new accounts, and no more often than the interval', async () => {
    const intervalMs = 3000
    // A second relay that is down must not stop the first from being asked.
    server = await startTestServer({
      env: { HEARTH_CRAWLERS: `${relayUrl}, http://127.0.0.1:9`, HEARTH_CRAWL_INTERVAL_SEC: String(intervalMs / 1000) },
    })
    await eventually(() => calls.length === 1, 'the start-up requestCrawl')
    const host = new URL(server.url).host
    expect(calls[0]).toMatchObject({ method: 'POST', path: '/xrpc/com.atproto.sync.requestCrawl', body: { hostname: host } })

    // Four accounts at once: each is followed by a request, but they fold into at most two.
    const started = Date.now()
    const accounts = await Promise.all(['two', 'three', 'four', 'five'].map((n) => server.createAccount(n)))
    const span = Date.now() - started
    await eventually(() => calls.some((c) => c.at >= started), 'a requestCrawl after the new accounts', 15_000)
    await new Promise((r) => setTimeout(r, intervalMs + 500))
    const after = calls.filter((c) => c.at >= started)
    expect(after.length).toBeGreaterThanOrEqual(1)
    // Folded: at most one request per interval the four sign-ups spanned, plus the one that opened it.
    expect(after.length).toBeLessThanOrEqual(Math.ceil(span / intervalMs) + 1)

    // Records are not accounts: nothing more is sent for them.
    const before = calls.length
    await accounts[0].agent.com.atproto.repo.createRecord({
      repo: accounts[0].did,
      collection: 'app.bsky.feed.post',
      record: { $type: 'app.bsky.feed.post', text: 'hi', createdAt: new Date().toISOString() },
    })
    await new Promise((r) => setTimeout(r, intervalMs + 500))
    expect(calls).toHaveLength(before)

    // The interval is a floor between two sends; seen from the relay, delivery delays blur it a little.
    for (let i = 1; i < calls.length; i++) expect(calls[i].at - calls[i - 1].at).toBeGreaterThanOrEqual(intervalMs / 2)
    for (const c of calls) expect(c.body).toEqual({ hostname: host })
  })
})

/**
 * Hearth's own edge when it forwards calls (service proxying), against a
 * small loopback service that records what reaches it: the atproto-proxy
 * header and the default AppView/chat service, the inter-service JWT (checked
 * with @atproto/xrpc-server's verifier against the account's DID document),
 * which headers go out and come back, bodies streamed both ways (each side
 * sees the first chunk before the other sends the last), timeouts (504),
 * failures (502), bad headers (400), methods that never leave the PDS, the
 * https-only rule, and app passwords without the chat privilege. The same
 * behaviours against the real AppView: test/network/appview.slow.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IdResolver } from '@atproto/identity'
import { verifyJwt } from '@atproto/xrpc-server'
import { startTestPlc, startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'
import type { EmbeddedPlc } from '../../src/identity/embedded-plc.js'
import { expectErrorResponse } from '../e2e/xrpc-expect.js'
import { LoopbackService } from './loopback-service.js'

let plc: EmbeddedPlc
let server: TestServer
let svc: LoopbackService
let alice: TestAccount
let idResolver: IdResolver

const TIMEOUT_MS = 800

beforeAll(async () => {
  plc = await startTestPlc()
  svc = await LoopbackService.start(plc.url, { services: { '#test_svc': true, '#bsky_appview': true, '#bsky_chat': true, '#dead': 'http://localhost:1' } })
  server = await startTestServer({
    plc,
    env: {
      HEARTH_APPVIEW_URL: svc.url,
      HEARTH_APPVIEW_DID: svc.did,
      HEARTH_CHAT_URL: svc.url,
      HEARTH_CHAT_DID: svc.did,
      HEARTH_PROXY_ALLOW_HTTP_LOOPBACK: 'true',
      HEARTH_PROXY_TIMEOUT_MS: String(TIMEOUT_MS),
    },
  })
  alice = await server.createAccount('alice')
  idResolver = new IdResolver({ plcUrl: plc.url })
})
afterAll(async () => {
  await server?.close({ removeData: true })
  await svc?.close()
  await plc?.close()
})

const auth = (account: TestAccount = alice) => ({ authorization: `Bearer ${account.agent.session!.accessJwt}` })
const xrpc = (nsid: string, init: RequestInit & { query?: string } = {}) => fetch(`${server.url}/xrpc/${nsid}${init.query ?? ''}`, init)
const lastSeen = () => svc.seen[svc.seen.length - 1]
const jsonAnswer = (body: unknown, headers: Record<string, string> = {}, status = 200) => {
  svc.answer = (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
    res.end(JSON.stringify(body))
  }
}
const resolveKey = (iss: string, force: boolean) => idResolver.did.resolveAtprotoKey(iss, force)

describe('forwarding', () => {
  it('sends the call where the atproto-proxy header says, with a JWT for the account', async () => {
    jsonAnswer({ hello: 'world' })
    const res = await xrpc('com.example.thing.get', { query: '?a=1&b=two%20words', headers: { ...auth(), 'atproto-proxy': `${svc.did}#test_svc` } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ hello: 'world' })
    const seen = lastSeen()
    expect(seen.method).toBe('GET')
    expect(seen.url).toBe('/xrpc/com.example.thing.get?a=1&b=two%20words')
    const token = /^Bearer (.+)$/.exec(seen.headers.authorization ?? '')![1]
    const claims = await verifyJwt(token, `${svc.did}#test_svc`, 'com.example.thing.get', resolveKey)
    expect(claims.iss).toBe(alice.did)
    expect(claims.exp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 61)
  })

  it('without a header, app.bsky.* goes to the AppView (#bsky_appview) and chat.bsky.* to the chat service (#bsky_chat)', async () => {
    jsonAnswer({ feed: [] })
    expect((await xrpc('app.bsky.feed.getFeed', { query: `?feed=at://${alice.did}/app.bsky.feed.generator/x`, headers: auth() })).status).toBe(200)
    const toAppView = /^Bearer (.+)$/.exec(lastSeen().headers.authorization ?? '')![1]
    expect((await verifyJwt(toAppView, `${svc.did}#bsky_appview`, 'app.bsky.feed.getFeed', resolveKey)).iss).toBe(alice.did)

    jsonAnswer({ convos: [] })
    expect((await xrpc('chat.bsky.convo.listConvos', { headers: auth() })).status).toBe(200)
    const toChat = /^Bearer (.+)$/.exec(lastSeen().headers.authorization ?? '')![1]
    expect((await verifyJwt(toChat, `${svc.did}#bsky_chat`, 'chat.bsky.convo.listConvos', resolveKey)).iss).toBe(alice.did)
  })

  it("passes on the client's language and labelers, and nothing of its own credentials or cookies", async () => {
    jsonAnswer({})
    await xrpc('com.example.thing.get', {
      headers: { ...auth(), 'atproto-proxy': `${svc.did}#test_svc`, 'accept-language': 'fr, en;q=0.5', 'atproto-accept-labelers': 'did:plc:labeler;redact', cookie: 'secret=1', 'x-custom': 'no' },
    })
    const h = lastSeen().headers
    expect(h['accept-language']).toBe('fr, en;q=0.5')
    expect(h['atproto-accept-labelers']).toBe('did:plc:labeler;redact')
    expect(h.cookie).toBeUndefined()
    expect(h['x-custom']).toBeUndefined()
    expect(h.authorization).not.toContain(alice.agent.session!.accessJwt)
  })

  it('passes back status, content type and the headers clients rely on, and no others', async () => {
    jsonAnswer({ ok: true }, { 'atproto-content-labelers': 'did:plc:labeler', 'atproto-repo-rev': '3kabc', 'content-language': 'de', 'set-cookie': 'x=1', 'x-internal': 'secret' }, 201)
    const res = await xrpc('com.example.thing.get', { headers: { ...auth(), 'atproto-proxy': `${svc.did}#test_svc` } })
    expect(res.status).toBe(201)
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(res.headers.get('atproto-content-labelers')).toBe('did:plc:labeler')
    expect(res.headers.get('atproto-repo-rev')).toBe('3kabc')
    expect(res.headers.get('content-language')).toBe('de')
    expect(res.headers.get('set-cookie')).toBeNull()
    expect(res.headers.get('x-internal')).toBeNull()
    await res.arrayBuffer()
  })

  it('forwards procedures with their body and content type', async () => {
    svc.answer = async (req, res, body) => {
      const got = await body()
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ echoed: JSON.parse(got.toString()), type: req.headers['content-type'] }))
    }
    const res = await xrpc('com.example.thing.put', {
      method: 'POST',
      headers: { ...auth(), 'atproto-proxy': `${svc.did}#test_svc`, 'content-type': 'application/json' },
      body: JSON.stringify({ x: 1 }),
    })
    expect(await res.json()).toEqual({ echoed: { x: 1 }, type: 'application/json' })
    expect(lastSeen().method).toBe('POST')
  })
})

describe('preferences', () => {
  it('are answered here for the configured AppView, and by another AppView its header names', async () => {
    const before = svc.seen.length
    const put = await xrpc('app.bsky.actor.putPreferences', {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json', 'atproto-proxy': `${svc.did}#bsky_appview` },
      body: JSON.stringify({ preferences: [{ $type: 'app.bsky.actor.defs#adultContentPref', enabled: true }] }),
    })
    expect(put.status).toBe(200)
    const local = await xrpc('app.bsky.actor.getPreferences', { headers: auth() })
    expect((await local.json()).preferences).toEqual([{ $type: 'app.bsky.actor.defs#adultContentPref', enabled: true }])
    expect(svc.seen.length).toBe(before)

    jsonAnswer({ preferences: [{ $type: 'app.bsky.actor.defs#adultContentPref', enabled: false }] })
    const elsewhere = await xrpc('app.bsky.actor.getPreferences', { headers: { ...auth(), 'atproto-proxy': `${svc.did}#test_svc` } })
    expect((await elsewhere.json()).preferences[0].enabled).toBe(false)
    expect(lastSeen().url).toBe('/xrpc/app.bsky.actor.getPreferences')
    svc.answer = async (_req, res, body) => {
      const got = JSON.parse((await body()).toString())
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ got }))
    }
    const prefs = { preferences: [{ $type: 'app.bsky.actor.defs#adultContentPref', enabled: false }] }
    const putElsewhere = await xrpc('app.bsky.actor.putPreferences', {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json', 'atproto-proxy': `${svc.did}#test_svc` },
      body: JSON.stringify(prefs),
    })
    expect(await putElsewhere.json()).toEqual({ got: prefs })
    // Ours are as they were.
    expect((await (await xrpc('app.bsky.actor.getPreferences', { headers: auth() })).json()).preferences[0].enabled).toBe(true)
  })
})

describe('streaming', () => {
  it('streams the request body: the service has the first chunk before the client sends the last', async () => {
    let firstChunkArrived!: () => void
    const arrived = new Promise<void>((r) => (firstChunkArrived = r))
    svc.answer = (req, res) => {
      let total = 0
      req.on('data', (c: Buffer) => {
        total += c.length
        firstChunkArrived()
      })
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ total }))
      })
    }
    const chunk = new Uint8Array(64 * 1024).fill(7)
    let sentLast = false
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(chunk)
        // The rest is sent only once the service has seen the start.
        await arrived
        controller.enqueue(chunk)
        sentLast = true
        controller.close()
      },
    })
    const res = await xrpc('com.example.blob.upload', {
      method: 'POST',
      headers: { ...auth(), 'atproto-proxy': `${svc.did}#test_svc`, 'content-type': 'application/octet-stream' },
      body,
      duplex: 'half',
    } as RequestInit)
    expect(sentLast).toBe(true)
    expect(await res.json()).toEqual({ total: 2 * chunk.length })
  })

  it('streams the answer: the client has the first chunk before the service sends the last', async () => {
    let clientGotFirst!: () => void
    const gotFirst = new Promise<void>((r) => (clientGotFirst = r))
    svc.answer = async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      res.write(Buffer.alloc(1000, 1))
      await gotFirst
      res.end(Buffer.alloc(1000, 2))
    }
    const res = await xrpc('com.example.blob.get', { headers: { ...auth(), 'atproto-proxy': `${svc.did}#test_svc` } })
    const reader = res.body!.getReader()
    const first = await reader.read()
    expect(first.value![0]).toBe(1)
    clientGotFirst()
    let rest = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      rest += value.length
    }
    expect(first.value!.length + rest).toBe(2000)
  })
})

describe('failures', () => {
  it('a service that does not answer in time gives 504 UpstreamTimeout', async () => {
    svc.answer = () => {} // never answers
    const res = await xrpc('com.example.slow', { headers: { ...auth(), 'atproto-proxy': `${svc.did}#test_svc` } })
    await expectErrorResponse(res, 504, 'UpstreamTimeout')
  })

  it('a service that stalls mid-answer is cut off rather than held open for ever', async () => {
    svc.answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      res.write('partial')
    }
    const res = await xrpc('com.example.stall', { headers: { ...auth(), 'atproto-proxy': `${svc.did}#test_svc` } })
    expect(res.status).toBe(200)
    await expect(res.arrayBuffer()).rejects.toThrow()
  })

  it('a service that cannot be reached, or fails, gives 502 UpstreamFailure', async () => {
    await expectErrorResponse(await xrpc('com.example.x', { headers: { ...auth(), 'atproto-proxy': `${svc.did}#dead` } }), 502, 'UpstreamFailure')
    jsonAnswer({ error: 'Boom', message: 'it broke' }, {}, 500)
    const body = await expectErrorResponse(await xrpc('com.example.x', { headers: { ...auth(), 'atproto-proxy': `${svc.did}#test_svc` } }), 502, 'UpstreamFailure')
    expect(body.message).toContain('it broke')
    svc.answer = (_req, res) => void res.socket!.destroy()
    await expectErrorResponse(await xrpc('com.example.x', { headers: { ...auth(), 'atproto-proxy': `${svc.did}#test_svc` } }), 502, 'UpstreamFailure')
  })

  it("a service's own client errors keep their status and name", async () => {
    jsonAnswer({ error: 'NotFound', message: 'no such thing' }, { 'atproto-repo-rev': '3kxyz' }, 404)
    const res = await xrpc('com.example.x', { headers: { ...auth(), 'atproto-proxy': `${svc.did}#test_svc` } })
    expect(res.headers.get('atproto-repo-rev')).toBe('3kxyz')
    expect((await expectErrorResponse(res, 404, 'NotFound')).message).toBe('no such thing')
    svc.answer = (_req, res) => {
      res.writeHead(429, { 'content-type': 'text/html', 'retry-after': '30' })
      res.end('<html>slow down</html>')
    }
    const limited = await xrpc('com.example.x', { headers: { ...auth(), 'atproto-proxy': `${svc.did}#test_svc` } })
    expect(limited.headers.get('retry-after')).toBe('30')
    await expectErrorResponse(limited, 429, 'RateLimitExceeded')
  })

  it('a DID that cannot be resolved gives 502; a malformed header or a missing service 400', async () => {
    const call = (proxy: string) => xrpc('com.example.x', { headers: { ...auth(), 'atproto-proxy': proxy } })
    await expectErrorResponse(await call('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa#test_svc'), 502, 'UpstreamFailure')
    const before = svc.seen.length
    for (const bad of [svc.did, `${svc.did}#`, `#test_svc`, `${svc.did}#a#b`, `not-a-did#test_svc`, `${svc.did} #test_svc`]) {
      await expectErrorResponse(await call(bad), 400, 'InvalidRequest')
    }
    const body = await expectErrorResponse(await call(`${svc.did}#no_such_service`), 400, 'InvalidRequest')
    expect(body.message).toContain('#no_such_service')
    expect(svc.seen.length).toBe(before)
  })
})

describe('what never leaves the PDS', () => {
  it('a method Hearth serves is served here, whatever the proxy header says', async () => {
    const before = svc.seen.length
    const res = await xrpc('com.atproto.server.getSession', { headers: { ...auth(), 'atproto-proxy': `${svc.did}#test_svc` } })
    expect(res.status).toBe(200)
    expect((await res.json()).did).toBe(alice.did)
    const describe = await xrpc('com.atproto.repo.describeRepo', { query: `?repo=${alice.did}`, headers: { 'atproto-proxy': `${svc.did}#test_svc` } })
    expect((await describe.json()).did).toBe(alice.did)
    expect(svc.seen.length).toBe(before)
  })

  it('account, identity, admin, sync and Hearth methods Hearth does not serve are 404, never forwarded', async () => {
    const before = svc.seen.length
    for (const nsid of ['com.atproto.server.confirmEmail', 'com.atproto.server.requestEmailUpdate', 'com.atproto.identity.signPlcOperation', 'com.atproto.admin.getAccountInfo', 'com.atproto.sync.notifyOfUpdate', 'dev.hearth.scope.nothing', 'COM.ATPROTO.SERVER.updateEmail']) {
      await expectErrorResponse(await xrpc(nsid, { headers: { ...auth(), 'atproto-proxy': `${svc.did}#test_svc` } }), 404, 'MethodNotImplemented')
    }
    expect(svc.seen.length).toBe(before)
  })

  it('a method no service takes, without a header, is still a plain 404', async () => {
    await expectErrorResponse(await xrpc('com.example.unknown', { headers: auth() }), 404, 'MethodNotImplemented')
    await expectErrorResponse(await xrpc('com.example.unknown'), 404, 'MethodNotImplemented')
  })
})

describe('who may call through the PDS', () => {
  it('needs a session', async () => {
    const before = svc.seen.length
    await expectErrorResponse(await xrpc('app.bsky.feed.getFeed', { query: '?feed=x' }), 401, 'AuthenticationRequired')
    await expectErrorResponse(await xrpc('com.example.x', { headers: { 'atproto-proxy': `${svc.did}#test_svc` } }), 401, 'AuthenticationRequired')
    expect(svc.seen.length).toBe(before)
  })

  it('an app password without the chat privilege cannot reach chat.bsky.*; with it, it can', async () => {
    const make = async (privileged: boolean) => {
      const { data } = await alice.agent.com.atproto.server.createAppPassword({ name: `chat-${privileged}`, privileged })
      const agent = server.agent()
      await agent.login({ identifier: alice.handle, password: data.password })
      return { authorization: `Bearer ${agent.session!.accessJwt}` }
    }
    jsonAnswer({ convos: [] })
    const plain = await make(false)
    const before = svc.seen.length
    await expectErrorResponse(await xrpc('chat.bsky.convo.listConvos', { headers: plain }), 403, 'InvalidToken')
    // A header naming another chat service changes nothing.
    await expectErrorResponse(await xrpc('chat.bsky.convo.listConvos', { headers: { ...plain, 'atproto-proxy': `${svc.did}#test_svc` } }), 403, 'InvalidToken')
    expect(svc.seen.length).toBe(before)
    // Other services are fine for it.
    expect((await xrpc('app.bsky.feed.getFeed', { query: '?feed=x', headers: plain })).status).toBe(200)
    expect((await xrpc('chat.bsky.convo.listConvos', { headers: await make(true) })).status).toBe(200)
  })
})

describe('https only', () => {
  it('refuses http endpoints unless loopback development is on', async () => {
    const strict = await startTestServer({ plc })
    try {
      const bob = await strict.createAccount('bob')
      const res = await fetch(`${strict.url}/xrpc/com.example.x`, { headers: { authorization: `Bearer ${bob.agent.session!.accessJwt}`, 'atproto-proxy': `${svc.did}#test_svc` } })
      const body = await expectErrorResponse(res, 400, 'InvalidRequest')
      expect(body.message).toContain('https')
      // And with nothing configured, the default services answer 501 naming what to set.
      const timeline = await fetch(`${strict.url}/xrpc/app.bsky.feed.getFeed?feed=x`, { headers: { authorization: `Bearer ${bob.agent.session!.accessJwt}` } })
      expect((await expectErrorResponse(timeline, 501, 'MethodNotImplemented')).message).toContain('HEARTH_APPVIEW_URL')
      const chat = await fetch(`${strict.url}/xrpc/chat.bsky.convo.listConvos`, { headers: { authorization: `Bearer ${bob.agent.session!.accessJwt}` } })
      expect((await expectErrorResponse(chat, 501, 'MethodNotImplemented')).message).toContain('HEARTH_CHAT_URL')
    } finally {
      await strict.close({ removeData: true })
    }
  })
})

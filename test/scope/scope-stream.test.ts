/**
 * The scoped firehose follows grants as they change while a socket is open:
 * a grant made mid-stream starts its scope's events, one that expires
 * mid-stream stops them; cursors follow the public firehose's rules; a
 * plain GET is told to upgrade. Also: first writes racing into a new scope
 * make one scope repository.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'
import { TestApp, serviceDid } from './test-app.js'
import { ingest, ownerCall } from './owner.js'
import { openScopeStream, scopeOf } from './scope-stream-reader.js'
import type { StreamReader } from '../firehose/stream-reader.js'
import { eventually } from '../firehose/stream-reader.js'

let server: TestServer
let alice: TestAccount
let app: TestApp

beforeAll(async () => {
  server = await startTestServer()
  alice = await server.createAccount('alice')
  app = await TestApp.register(server.plcUrl, 'follower')
})
afterAll(() => server?.close({ removeData: true }))

const subscribeToken = async () => app.token({ aud: await serviceDid(server.url), lxm: 'dev.hearth.scope.subscribe' })
const has = (s: StreamReader, text: string) => s.frames.some((f) => f.raw.includes(text))

describe('grants changing under an open socket', () => {
  it('a grant made mid-stream starts its scope; one expiring mid-stream stops it', async () => {
    await ingest(server.url, alice, 'fit.steps', { steps: 1 })
    await ingest(server.url, alice, 'fit.sleep', { hours: 7 })
    await ownerCall(server.url, alice, 'dev.hearth.grant.create', { body: { grantee: app.did, scopes: ['fit.sleep'] } })
    const stream = await openScopeStream(server.url, await subscribeToken())
    await eventually(() => server.pds.ctx.firehose.stats().live >= 1, 'the subscription to go live')

    await ingest(server.url, alice, 'fit.steps', { steps: 'before grant' })
    await ingest(server.url, alice, 'fit.sleep', { hours: 'sentinel 1' })
    await stream.until(() => has(stream, 'sentinel 1'), 'sentinel 1')
    expect(has(stream, 'before grant')).toBe(false)

    // Long enough for the next calls to land before it, even on a loaded machine.
    const soon = new Date(Date.now() + 4000).toISOString()
    await ownerCall(server.url, alice, 'dev.hearth.grant.create', { body: { grantee: app.did, scopes: ['fit.steps'], expiresAt: soon } })
    await ingest(server.url, alice, 'fit.steps', { steps: 'granted now' })
    await stream.until(() => has(stream, 'granted now'), 'the newly granted scope')

    while (Date.now() <= Date.parse(soon)) await new Promise((r) => setTimeout(r, 50))
    await ingest(server.url, alice, 'fit.steps', { steps: 'after expiry' })
    await ingest(server.url, alice, 'fit.sleep', { hours: 'sentinel 2' })
    await stream.until(() => has(stream, 'sentinel 2'), 'sentinel 2')
    expect(has(stream, 'after expiry')).toBe(false)
    expect(stream.commits().every((f) => f.body.repo === alice.did && ['fit.sleep', 'fit.steps', null].includes(scopeOf(f.body)))).toBe(true)
    stream.close()
  })
})

describe('the owner\'s status', () => {
  it('a deactivated owner\'s scope events reach no app, not even in a replay, and flow again once active', async () => {
    const { ControlClient } = await import('../../src/control/control-client.js')
    const control = new ControlClient(server.pds.controlSocket!)
    const owner = await server.createAccount('pausing')
    await ownerCall(server.url, owner, 'dev.hearth.grant.create', { body: { grantee: app.did, scopes: ['fit.heart'] } })
    await ingest(server.url, owner, 'fit.heart', { bpm: 'written while active' })

    await control.json('POST', `/accounts/${owner.did}/deactivate`)
    const replay = await openScopeStream(server.url, await subscribeToken(), { cursor: 0 })
    // alice's granted scope from the test above replays too: once it is in, the replay is done.
    await replay.until(() => has(replay, 'sentinel 2'), 'the replay of the other owner\'s events')
    expect(has(replay, 'written while active')).toBe(false)
    replay.close()

    await control.json('POST', `/accounts/${owner.did}/activate`)
    const again = await openScopeStream(server.url, await subscribeToken(), { cursor: 0 })
    await again.until(() => has(again, 'written while active'), 'the owner\'s events once active')
    again.close()
  })
})

describe('cursor and transport', () => {
  it('a cursor ahead of the log is FutureCursor; a bad one is InvalidRequest', async () => {
    const ahead = await openScopeStream(server.url, await subscribeToken(), { cursor: server.pds.ctx.eventLog.lastSeq() + 100 })
    expect((await ahead.closed).code).toBe(1008)
    expect(ahead.frames[0]).toMatchObject({ op: -1, body: { error: 'FutureCursor' } })
    const url = new URL('/xrpc/dev.hearth.scope.subscribe?cursor=abc', server.url.replace(/^http/, 'ws'))
    const { WebSocket } = await import('ws')
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${await subscribeToken()}` } })
    const frames: Buffer[] = []
    ws.on('message', (d: Buffer) => frames.push(d))
    expect(await new Promise((resolve) => ws.on('close', resolve))).toBe(1008)
    expect(Buffer.concat(frames).includes('InvalidRequest')).toBe(true)
  })

  it('a plain GET is told it is a WebSocket', async () => {
    const res = await fetch(`${server.url}/xrpc/dev.hearth.scope.subscribe`)
    expect(res.status).toBe(426)
    expect((await res.json()).error).toBe('InvalidRequest')
  })
})

describe('first writes into a new scope, at once', () => {
  it('make one scope repository with one chain, every record kept', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => ingest(server.url, alice, 'race.scope', { i })))
    const revs = results.map((r) => r.rev).sort()
    expect(new Set(revs).size).toBe(6)
    expect(server.pds.ctx.scopes.catalog.get(alice.did, 'race.scope')!.records).toBe(6)
    const events = server.pds.ctx.eventLog.eventsAfter(0, 1000, ['race.scope'])
    expect(events).toHaveLength(7) // one first commit, then one per ingest
  })
})

/**
 * The client library (hearth/client) from an app's side: its own did:plc
 * made by devIdentity in the local PLC directory, an access request and
 * waiting for the decision, reads verified against the owner's key — and
 * refused, with VerificationFailed, when a response is altered on its way
 * (a fetch wrapper, or a TCP proxy for the stream); follow() resuming from
 * its last event after the connection is cut.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'
import { HearthAppClient, NotGranted, VerificationFailed, devIdentity, type AppIdentity, type FollowedRecord } from '../../src/client/index.js'
import { ownerCall } from './owner.js'
import { TcpProxy } from './tcp-proxy.js'

let server: TestServer
let alice: TestAccount
let identity: AppIdentity
const SCOPE = 'fitbit.sleep'
const OTHER = 'fitbit.weight'

beforeAll(async () => {
  server = await startTestServer()
  alice = await server.createAccount('alice')
  await ownerCall(server.url, alice, 'dev.hearth.scope.ingest', { body: { scope: SCOPE, items: [{ key: 'night1', data: { hours: 7, note: 'Ada slept well' } }, { key: 'night2', data: { hours: 5 } }] } })
  await ownerCall(server.url, alice, 'dev.hearth.scope.ingest', { body: { scope: OTHER, data: { kg: 70 } } })
})

afterAll(async () => {
  await server?.close({ removeData: true })
})

describe('identity and access', () => {
  it('devIdentity registers a did:plc once and loads it from its file after', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-app-')), 'identity.json')
    identity = await devIdentity({ plcUrl: server.plcUrl, name: 'sleepy', file })
    expect(identity.did).toMatch(/^did:plc:/)
    const again = await devIdentity({ plcUrl: server.plcUrl, name: 'sleepy', file })
    expect(again.did).toBe(identity.did)
    expect(again.keypair.did()).toBe(identity.keypair.did())
    fs.rmSync(path.dirname(file), { recursive: true, force: true })
  })

  it('requestAccess gives the approval URL; wait() resolves with the decision', async () => {
    const client = new HearthAppClient({ pds: server.url, identity, plcUrl: server.plcUrl })
    await expect(client.listRecords(alice.handle, SCOPE)).rejects.toBeInstanceOf(NotGranted)
    const ask = await client.requestAccess({ owner: alice.handle, scopes: [SCOPE, OTHER], reason: 'Sleep charts' })
    expect(ask.approveUrl).toBe(`${server.url}/account/requests/${ask.id}`)
    const decided = ask.wait({ intervalMs: 50 })
    setTimeout(() => server.pds.ctx.scopes.requests.approve(ask.id, alice.did, [SCOPE]), 200)
    expect(await decided).toMatchObject({ status: 'approved', scopes: [SCOPE], owner: alice.did })
    const page = await client.listRecords(alice.handle, SCOPE)
    expect(page.records.map((r) => [r.key, r.data])).toEqual([
      ['night2', { hours: 5 }],
      ['night1', { hours: 7, note: 'Ada slept well' }],
    ])
    expect((await client.getRepo(alice.did, SCOPE)).records).toHaveLength(2)
    await expect(client.listRecords(alice.did, OTHER)).rejects.toBeInstanceOf(NotGranted)
  })
})

let swapped = 0

/** A fetch that swaps `from` for `to` (same length) in the answers of one method. */
function tampering(nsid: string, from: string, to: string): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init)
    if (!String(input).includes(`/xrpc/${nsid}`)) return res
    const bytes = Buffer.from(await res.arrayBuffer())
    const at = bytes.indexOf(from)
    if (at >= 0) {
      bytes.write(to, at)
      swapped++
    }
    return new Response(bytes, { status: res.status, headers: res.headers })
  }
}

describe('a response altered on its way is refused', () => {
  it('getRecord, listRecords and getRepo throw VerificationFailed instead of handing over the altered record', async () => {
    for (const nsid of ['dev.hearth.scope.getRecord', 'dev.hearth.scope.getRepo']) {
      const client = new HearthAppClient({ pds: server.url, identity, plcUrl: server.plcUrl, fetch: tampering(nsid, 'Ada slept well', 'Eve slept well') })
      const attempt = nsid.endsWith('getRecord')
        ? Promise.all([client.getRecord(alice.did, SCOPE, 'night1'), client.listRecords(alice.did, SCOPE)])
        : client.getRepo(alice.did, SCOPE)
      await expect(attempt, nsid).rejects.toBeInstanceOf(VerificationFailed)
    }
    expect(swapped).toBeGreaterThanOrEqual(2) // the answers really were altered
    // Untouched, the same calls verify.
    const honest = new HearthAppClient({ pds: server.url, identity, plcUrl: server.plcUrl })
    expect((await honest.getRecord(alice.did, SCOPE, 'night1'))!.data.note).toBe('Ada slept well')
  })

  it('a proof signed by another key is refused too', async () => {
    const client = new HearthAppClient({ pds: server.url, identity, plcUrl: server.plcUrl })
    // The owner's DID document now names a different key than the one that signed the scope.
    const other = new HearthAppClient({ pds: server.url, identity, plcUrl: server.plcUrl })
    ;(other.idResolver.did as any).resolveAtprotoKey = async () => identity.keypair.did()
    await expect(other.getRecord(alice.did, SCOPE, 'night1')).rejects.toBeInstanceOf(VerificationFailed)
    expect(await client.getRecord(alice.did, SCOPE, 'night1')).not.toBeNull()
  })
})

async function until(what: () => boolean, label: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!what()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${label}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('follow over a network that fails', () => {
  it('resumes from the last event after a cut, missing nothing and repeating nothing', async () => {
    const proxy = await TcpProxy.start(server.url)
    const client = new HearthAppClient({ pds: proxy.url, identity, plcUrl: server.plcUrl })
    const got: FollowedRecord[] = []
    const f = client.follow([SCOPE], { cursor: server.pds.ctx.eventLog.lastSeq(), onRecord: (r) => void got.push(r) })
    try {
      await ownerCall(server.url, alice, 'dev.hearth.scope.ingest', { body: { scope: SCOPE, key: 'night3', data: { hours: 6 } } })
      await until(() => got.length === 1, 'night3')
      proxy.cut(1500)
      for (const key of ['night4', 'night5']) await ownerCall(server.url, alice, 'dev.hearth.scope.ingest', { body: { scope: SCOPE, key, data: { hours: 8 } } })
      await until(() => got.length >= 3, 'the events sent while cut off')
      await new Promise((r) => setTimeout(r, 300))
      expect(got.map((r) => r.key)).toEqual(['night3', 'night4', 'night5'])
      expect(f.cursor).toBe(got[2].seq)
    } finally {
      f.close()
      await proxy.close()
    }
  })

  it('a commit altered on the wire is not handed over: onError gets VerificationFailed', async () => {
    const proxy = await TcpProxy.start(server.url)
    const client = new HearthAppClient({ pds: proxy.url, identity, plcUrl: server.plcUrl })
    const got: FollowedRecord[] = []
    const errors: Error[] = []
    const f = client.follow([SCOPE], { cursor: server.pds.ctx.eventLog.lastSeq(), onRecord: (r) => void got.push(r), onError: (e) => void errors.push(e) })
    try {
      proxy.rewrite = ['tampered-not', 'tampered-yes']
      await ownerCall(server.url, alice, 'dev.hearth.scope.ingest', { body: { scope: SCOPE, key: 'night6', data: { note: 'tampered-not' } } })
      await ownerCall(server.url, alice, 'dev.hearth.scope.ingest', { body: { scope: SCOPE, key: 'night7', data: { note: 'honest' } } })
      await until(() => got.some((r) => r.key === 'night7'), 'the honest commit')
      expect(got.map((r) => r.key)).toEqual(['night7'])
      expect(errors.some((e) => e instanceof VerificationFailed)).toBe(true)
    } finally {
      f.close()
      await proxy.close()
    }
  })
})

/**
 * Ingest into scopes, through dev.hearth.scope.ingest (the owner's token)
 * and the control socket: a batch is one signed commit of the scope's own
 * repository; a body over HEARTH_MAX_INGEST_BYTES is a 413; a bad scope
 * name or a non-object is a 400; a batch that fails anywhere writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IdResolver } from '@atproto/identity'
import { verifyRepoCar } from '@atproto/repo'
import { startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'
import { ControlClient, ControlError } from '../../src/control/control-client.js'
import { runCli } from '../ops/cli-helper.js'
import { ingest, ownerCall } from './owner.js'
import fs from 'node:fs'
import path from 'node:path'

const LIMIT = 64 * 1024
let server: TestServer
let alice: TestAccount
let idResolver: IdResolver

beforeAll(async () => {
  server = await startTestServer({ env: { HEARTH_MAX_INGEST_BYTES: String(LIMIT) } })
  alice = await server.createAccount('alice')
  idResolver = new IdResolver({ plcUrl: server.plcUrl })
})
afterAll(() => server?.close({ removeData: true }))

const ctx = () => server.pds.ctx
/** Everything that would move if anything were written: scope heads, record counts, the event log. */
function snapshot(did: string) {
  return {
    scopes: ctx().scopes.catalog.list(did).map((s) => `${s.scope} ${s.records} ${s.rev}`),
    lastSeq: ctx().eventLog.lastSeq(),
    publicHead: ctx().repoReader.head(did)?.rev,
  }
}

describe('dev.hearth.scope.ingest', () => {
  it('one object becomes a dev.hearth.scope.record of the scope repo, whose commit verifies with the DID document key', async () => {
    const before = ctx().eventLog.lastSeq()
    const out = await ingest(server.url, alice, 'instagram.profile', { name: 'Ada', followers: 12, tags: ['a', 'b'] })
    expect(out.scope).toBe('instagram.profile')
    expect(out.records).toHaveLength(1)
    expect(out.records[0].rkey).toMatch(/^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$/)

    const listed = await ownerCall(server.url, alice, 'dev.hearth.scope.listRecords', { params: { repo: alice.did, scope: 'instagram.profile' } })
    expect(listed.status).toBe(200)
    expect(listed.json.records).toHaveLength(1)
    const value = listed.json.records[0].value
    expect(value).toEqual({ $type: 'dev.hearth.scope.record', scope: 'instagram.profile', collectedAt: value.collectedAt, data: { name: 'Ada', followers: 12, tags: ['a', 'b'] } })
    expect(new Date(value.collectedAt).toISOString()).toBe(value.collectedAt)
    expect(listed.json.records[0].cid).toBe(out.records[0].cid)

    // First use made the scope repo (an empty commit) and then the batch's commit: two events, both tagged.
    const events = ctx().eventLog.eventsAfter(before, 10, ['instagram.profile'])
    expect(events.map((e) => [e.eventType, e.scope])).toEqual([
      ['#commit', 'instagram.profile'],
      ['#commit', 'instagram.profile'],
    ])
    expect(ctx().eventLog.eventsAfter(before, 10, [''])).toEqual([])

    const car = await ownerCall(server.url, alice, 'dev.hearth.scope.getRepo', { params: { repo: alice.did, scope: 'instagram.profile' } })
    const verified = await verifyRepoCar(car.bytes, alice.did, await idResolver.did.resolveAtprotoKey(alice.did, true))
    expect(verified.commit.rev).toBe(out.rev)
    expect(verified.creates.map((c) => `${c.collection}/${c.rkey}`)).toEqual([`instagram.profile/${out.records[0].rkey}`])
  })

  it('a batch is one commit: one rev, one event carrying every op', async () => {
    const before = ctx().eventLog.lastSeq()
    const batch = Array.from({ length: 300 }, (_, i) => ({ i, text: `message ${i}` }))
    const out = await ingest(server.url, alice, 'chatgpt.conversations.shared', batch)
    expect(out.records).toHaveLength(300)
    expect(new Set(out.records.map((r) => r.rkey)).size).toBe(300)
    const commits = ctx().eventLog.eventsAfter(before, 10, ['chatgpt.conversations.shared'])
    expect(commits).toHaveLength(2) // the scope's first (empty) commit, then the batch
    expect(ctx().repoReader.head(alice.did, 'chatgpt.conversations.shared')!.rev).toBe(out.rev)
    expect(ctx().scopes.catalog.get(alice.did, 'chatgpt.conversations.shared')!.records).toBe(300)

    const again = await ingest(server.url, alice, 'chatgpt.conversations.shared', [{ i: 300 }, { i: 301 }])
    expect(ctx().eventLog.eventsAfter(ctx().eventLog.lastSeq() - 1, 10, ['chatgpt.conversations.shared'])).toHaveLength(1)
    expect(again.rev > out.rev).toBe(true)
  })

  it('a body over HEARTH_MAX_INGEST_BYTES is a 413 in the standard shape, declared or streamed, and writes nothing', async () => {
    const before = snapshot(alice.did)
    const big = { scope: 'instagram.profile', data: [{ blob: 'x'.repeat(LIMIT) }] }
    const declared = await ownerCall(server.url, alice, 'dev.hearth.scope.ingest', { body: big })
    expect(declared.status).toBe(413)
    expect(declared.json).toEqual({ error: 'PayloadTooLarge', message: expect.stringContaining(String(LIMIT)) })

    // Chunked: no Content-Length to go by.
    const chunks = [JSON.stringify(big).slice(0, 40_000), JSON.stringify(big).slice(40_000)]
    const streamed = await fetch(`${server.url}/xrpc/dev.hearth.scope.ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.agent.session!.accessJwt}`, 'content-type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          for (const c of chunks) controller.enqueue(new TextEncoder().encode(c))
          controller.close()
        },
      }),
      duplex: 'half',
    } as RequestInit)
    expect(streamed.status).toBe(413)
    expect((await streamed.json()).error).toBe('PayloadTooLarge')

    // Just under the limit is fine.
    const fits = await ownerCall(server.url, alice, 'dev.hearth.scope.ingest', { body: { scope: 'instagram.profile', data: { blob: 'y'.repeat(LIMIT - 200) } } })
    expect(fits.status).toBe(200)
    const after = snapshot(alice.did)
    expect(after.lastSeq).toBe(before.lastSeq + 1)
  })

  it('answers 400 for a bad scope name, a non-object, or a body that is not { scope, data }, and writes nothing', async () => {
    const bob = await server.createAccount('bob')
    const before = snapshot(bob.did)
    const badScopes: unknown[] = ['instagram', 'Instagram.profile', 'a.b.c.d', '1x.profile', 'x.pro-file', 'x..y', '.x.y', 'x.y.', '', 'x.y/z', 'x'.repeat(70) + '.' + 'y'.repeat(70), 12, null]
    for (const scope of badScopes) {
      const res = await ownerCall(server.url, bob, 'dev.hearth.scope.ingest', { body: { scope, data: { ok: true } } })
      expect(res.status, JSON.stringify(scope)).toBe(400)
      expect(res.json.error, JSON.stringify(scope)).toBe('InvalidScope')
    }
    const badData: unknown[] = ['text', 12, null, true, [], [[1]], [{ ok: 1 }, 'x'], [{ ok: 1 }, null]]
    for (const data of badData) {
      const res = await ownerCall(server.url, bob, 'dev.hearth.scope.ingest', { body: { scope: 'x.y', data } })
      expect(res.status, JSON.stringify(data)).toBe(400)
      expect(res.json.error, JSON.stringify(data)).toBe('InvalidRecord')
    }
    const bodies: [string, string][] = [
      ['not json', 'application/json'],
      ['[1,2]', 'application/json'],
      ['{"data":{}}', 'application/json'],
      ['{"scope":"x.y"}', 'application/json'],
      ['{"scope":"x.y","data":{}}', 'text/plain'],
    ]
    for (const [rawBody, contentType] of bodies) {
      const res = await ownerCall(server.url, bob, 'dev.hearth.scope.ingest', { rawBody, contentType })
      expect(res.status, rawBody).toBe(400)
      expect(typeof res.json.message).toBe('string')
    }
    // Not the AT Protocol data model: a float, a bad $link.
    for (const data of [{ score: 1.5 }, { link: { $link: 'nope' } }]) {
      const res = await ownerCall(server.url, bob, 'dev.hearth.scope.ingest', { body: { scope: 'x.y', data } })
      expect(res.status, JSON.stringify(data)).toBe(400)
      expect(res.json.error).toBe('InvalidRecord')
    }
    // A blob that is not a file of this scope (test/scope/scope-files.test.ts covers files of other scopes and accounts).
    const img = { $type: 'blob', ref: { $link: 'bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm' }, mimeType: 'image/png', size: 3 }
    const blobRes = await ownerCall(server.url, bob, 'dev.hearth.scope.ingest', { body: { scope: 'x.y', data: { img } } })
    expect(blobRes.status).toBe(400)
    expect(blobRes.json.error).toBe('BlobNotFound')
    expect(snapshot(bob.did)).toEqual(before)
    expect(before.scopes).toEqual([])
  })

  it('a batch that fails half-way leaves nothing: not one record, no event, not even a new scope repo', async () => {
    const good = Array.from({ length: 1000 }, (_, i) => ({ i }))
    const before = snapshot(alice.did)
    const withFloat = good.map((o, i) => (i === 500 ? { i, ratio: 0.5 } : o))
    const res = await ownerCall(server.url, alice, 'dev.hearth.scope.ingest', { body: { scope: 'instagram.profile', data: withFloat } })
    expect(res.status).toBe(400)
    expect(res.json.message).toContain('data[500]')
    const fresh = await ownerCall(server.url, alice, 'dev.hearth.scope.ingest', { body: { scope: 'brand.new_scope', data: withFloat } })
    expect(fresh.status).toBe(400)
    expect(snapshot(alice.did)).toEqual(before)
    expect(ctx().scopes.catalog.get(alice.did, 'brand.new_scope')).toBeNull()
  })

  it('needs the owner: no token is a 401, a deactivated account is refused', async () => {
    const none = await ownerCall(server.url, null, 'dev.hearth.scope.ingest', { body: { scope: 'x.y', data: {} } })
    expect(none.status).toBe(401)
    const carol = await server.createAccount('carol')
    await carol.agent.com.atproto.server.deactivateAccount({})
    const res = await ownerCall(server.url, carol, 'dev.hearth.scope.ingest', { body: { scope: 'x.y', data: {} } })
    expect(res.status).toBe(400)
    expect(ctx().scopes.catalog.list(carol.did)).toEqual([])
  })
})

describe('ingest through the control socket', () => {
  it('POST /ingest with a scope writes one commit of the scope repo; bad scope names are 400s', async () => {
    const control = new ControlClient(server.pds.controlSocket!)
    const out = await control.json('POST', '/ingest', { repo: alice.handle, scope: 'spotify.history', records: [{ track: 'a' }, { track: 'b' }] })
    expect(out).toMatchObject({ repo: alice.did, scope: 'spotify.history', commit: { rev: expect.any(String) }, records: [{ rkey: expect.any(String) }, { rkey: expect.any(String) }] })
    expect(ctx().scopes.catalog.get(alice.did, 'spotify.history')!.records).toBe(2)
    for (const scope of ['Spotify.history', 'spotify', 7]) {
      const err = await control.json('POST', '/ingest', { repo: alice.did, scope, records: [{ a: 1 }] }).catch((e) => e)
      expect(err).toBeInstanceOf(ControlError)
      expect((err as ControlError).status).toBe(400)
      expect((err as ControlError).error).toBe('InvalidScope')
    }
  })

  it('the CLI ingests a file into a scope in batches', async () => {
    const file = path.join(server.dataDir, 'history.ndjson')
    fs.writeFileSync(file, Array.from({ length: 25 }, (_, i) => JSON.stringify({ n: i })).join('\n') + '\n')
    const res = await runCli(server.pds.controlSocket!, ['ingest', alice.did, file, '--scope', 'spotify.plays', '--batch', '10'])
    expect(res.code, res.stderr).toBe(0)
    expect(res.json).toMatchObject({ scope: 'spotify.plays', records: 25, commits: 3 })
    expect(ctx().scopes.catalog.get(alice.did, 'spotify.plays')!.records).toBe(25)
  })
})

/**
 * The life of scope data, as a connector, an owner and an app live it:
 * keyed records re-ingested (update ops, no commit when unchanged), deletes
 * of a record and of a whole scope that a following app receives through
 * the client library (hearth/client), and erasure: the deleted bytes are
 * nowhere in the SQLite file or its WAL afterwards. Bad input is a clear
 * 4xx that changes nothing.
 */
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeAll } from '@atproto/lex-cbor'
import { startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'
import { ControlClient, ControlError } from '../../src/control/control-client.js'
import { HearthAppClient, NotGranted, Revoked, type Follow, type FollowedDelete, type FollowedRecord } from '../../src/client/index.js'
import { runCli } from '../ops/cli-helper.js'
import { TestApp } from './test-app.js'
import { ownerCall } from './owner.js'

let server: TestServer
let alice: TestAccount
let bob: TestAccount
let app: TestApp
let client: HearthAppClient
let follow: Follow
const seen: (FollowedRecord | FollowedDelete)[] = []
const errors: Error[] = []

const PROFILE = 'linkedin.profile'
const NOTES = 'notes.private'
const MARKER = 'MARKER-3f9a1c-erase-me'
const MARKER2 = 'MARKER-77b2de-whole-scope'

const ctx = () => server.pds.ctx
const head = (did: string, scope: string) => ctx().blockTables.getRoot.get(did, scope) ?? null

async function until<T>(what: () => T | undefined | false, label: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = what()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${label}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function ingestKeyed(owner: TestAccount, scope: string, key: string, data: unknown) {
  const res = await ownerCall(server.url, owner, 'dev.hearth.scope.ingest', { body: { scope, key, data } })
  expect(res.status, JSON.stringify(res.json)).toBe(200)
  return res.json
}

beforeAll(async () => {
  server = await startTestServer()
  alice = await server.createAccount('alice')
  bob = await server.createAccount('bob')
  app = await TestApp.register(server.plcUrl, 'mirror')
  // Scopes exist before the grant (a grant names existing or future scopes alike).
  await ingestKeyed(alice, NOTES, 'keep', { note: 'stays until the scope goes' })
  const grant = await ownerCall(server.url, alice, 'dev.hearth.grant.create', { body: { grantee: app.did, scopes: [PROFILE, NOTES] } })
  expect(grant.status).toBe(200)
  client = new HearthAppClient({ pds: server.url, identity: app, plcUrl: server.plcUrl })
  // From the current seq: without a cursor, "from now" starts once the server has checked the token, a moment after the socket opens.
  follow = client.follow([PROFILE, NOTES], { cursor: ctx().eventLog.lastSeq(), onRecord: (r) => void seen.push(r), onDelete: (d) => void seen.push(d), onError: (e) => errors.push(e) })
  await follow.opened
})

afterAll(async () => {
  follow?.close()
  await server?.close({ removeData: true })
})

describe('keyed records', () => {
  it('the same key again is an update op with prev; unchanged data makes no commit; the follower sees create → update → update', async () => {
    const seqBefore = ctx().eventLog.lastSeq()
    const first = await ingestKeyed(alice, PROFILE, 'self', { name: 'Ada', title: 'engineer' })
    expect(first).toMatchObject({ committed: true, records: [{ rkey: 'self', action: 'create' }] })
    const second = await ingestKeyed(alice, PROFILE, 'self', { name: 'Ada', title: 'principal engineer' })
    expect(second).toMatchObject({ committed: true, records: [{ rkey: 'self', action: 'update' }] })
    const headAfterSecond = head(alice.did, PROFILE)
    const same = await ingestKeyed(alice, PROFILE, 'self', { title: 'principal engineer', name: 'Ada' })
    expect(same).toMatchObject({ committed: false, records: [{ rkey: 'self', action: 'unchanged', cid: second.records[0].cid }] })
    expect(head(alice.did, PROFILE)).toEqual(headAfterSecond)
    const third = await ingestKeyed(alice, PROFILE, 'self', { name: 'Ada', title: 'CTO' })
    expect(third.records[0].action).toBe('update')

    // One record; the scope's events after its first (empty) commit: create, update, update — each update naming its prev.
    expect(ctx().scopes.catalog.get(alice.did, PROFILE)!.records).toBe(1)
    const frames = ctx().eventLog.eventsAfter(seqBefore, 100, [PROFILE]).map((e) => [...decodeAll(e.frame)][1] as any)
    const ops = frames.flatMap((f) => f.ops)
    expect(ops.map((o: any) => o.action)).toEqual(['create', 'update', 'update'])
    expect(ops[1].prev.toString()).toBe(first.records[0].cid)
    expect(ops[2].prev.toString()).toBe(second.records[0].cid)

    const profileEvents = () => seen.filter((e) => e.scope === PROFILE)
    await until(() => profileEvents().length >= 3, 'three profile events').catch((e) => { throw new Error(e.message + JSON.stringify({ seen, errors: errors.map(String) })) })
    expect(profileEvents().map((e) => ('action' in e ? e.action : 'delete'))).toEqual(['create', 'update', 'update'])
    expect((profileEvents()[2] as FollowedRecord).data).toEqual({ name: 'Ada', title: 'CTO' })

    // Latest version by key, and the newest-first listing, for the granted app (verified by the library)…
    expect((await client.getRecord(alice.handle, PROFILE, 'self'))!.data).toEqual({ name: 'Ada', title: 'CTO' })
    // …also named by handle in a plain XRPC call…
    const byHandle = await app.call(server.url, 'dev.hearth.scope.listRecords', { params: { repo: alice.handle, scope: PROFILE } })
    expect(byHandle.status).toBe(200)
    expect(byHandle.json.records.map((r: any) => r.rkey)).toEqual(['self'])
    // …and for the owner.
    const own = await ownerCall(server.url, alice, 'dev.hearth.scope.listRecords', { params: { repo: alice.handle, scope: PROFILE } })
    expect(own.json.records).toHaveLength(1)
    expect(own.json.records[0]).toMatchObject({ rkey: 'self', cid: third.records[0].cid, value: { data: { title: 'CTO' } } })
  })

  it('lists newest first by collectedAt, with a cursor, whatever the keys', async () => {
    for (const key of ['c', 'a', 'b']) await ingestKeyed(alice, 'feed.items', key, { key })
    const owner = (params: Record<string, string | number | boolean>) =>
      ownerCall(server.url, alice, 'dev.hearth.scope.listRecords', { params: { repo: alice.did, scope: 'feed.items', ...params } })
    const p1 = await owner({ limit: 2 })
    expect(p1.json.records.map((r: any) => r.rkey)).toEqual(['b', 'a'])
    const p2 = await owner({ limit: 2, cursor: p1.json.cursor })
    expect(p2.json.records.map((r: any) => r.rkey)).toEqual(['c'])
    expect(p2.json.cursor).toBeUndefined()
    const oldest = await owner({ reverse: true })
    expect(oldest.json.records.map((r: any) => r.rkey)).toEqual(['c', 'a', 'b'])
    // Re-ingesting a changed record moves it to the front.
    await ingestKeyed(alice, 'feed.items', 'c', { key: 'c', changed: true })
    expect((await owner({})).json.records.map((r: any) => r.rkey)).toEqual(['c', 'b', 'a'])
  })
})

/** Every byte of the database: the main file and the WAL, after a checkpoint that empties the WAL. */
function databaseBytes(): Buffer {
  const file = path.join(server.dataDir, 'hearth.sqlite')
  const side = new Database(file)
  side.pragma('wal_checkpoint(TRUNCATE)')
  side.close()
  const wal = fs.existsSync(`${file}-wal`) ? fs.readFileSync(`${file}-wal`) : Buffer.alloc(0)
  return Buffer.concat([fs.readFileSync(file), wal])
}

describe('a connector re-syncing a file with the CLI', () => {
  it('--key-field makes each object a keyed record: the second run updates what changed, the third makes no commit', async () => {
    const file = path.join(server.dataDir, 'contacts.ndjson')
    const run = async (rows: object[]) => {
      fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n')
      const res = await runCli(server.pds.controlSocket!, ['ingest', bob.did, file, '--scope', 'phone.contacts', '--key-field', 'id'])
      expect(res.code, res.stderr).toBe(0)
      return JSON.parse(res.stdout)
    }
    expect(await run([{ id: 'ann', tel: '1' }, { id: 'bo', tel: '2' }])).toMatchObject({ records: 2, commits: 1 })
    const headBefore = head(bob.did, 'phone.contacts')
    expect(await run([{ id: 'ann', tel: '1' }, { id: 'bo', tel: '3' }])).toMatchObject({ commits: 1 })
    expect(ctx().scopes.records.keys(bob.did, 'phone.contacts').sort()).toEqual(['ann', 'bo'])
    const headAfter = head(bob.did, 'phone.contacts')
    expect(headAfter).not.toEqual(headBefore)
    expect(await run([{ id: 'ann', tel: '1' }, { id: 'bo', tel: '3' }])).toMatchObject({ commits: 0 })
    expect(head(bob.did, 'phone.contacts')).toEqual(headAfter)
  })
})

describe('deletion erases', () => {
  it('a deleted record: the follower gets the delete, reads find nothing, and its bytes are nowhere in the database files', async () => {
    await ingestKeyed(alice, NOTES, 'secret', { note: MARKER })
    await until(() => seen.some((e) => e.scope === NOTES && e.key === 'secret'), 'the secret create')
    expect(databaseBytes().includes(MARKER)).toBe(true) // the search finds what is there

    const res = await ownerCall(server.url, alice, 'dev.hearth.scope.deleteRecord', { body: { scope: NOTES, key: 'secret' } })
    expect(res.status, JSON.stringify(res.json)).toBe(200)
    expect(res.json).toMatchObject({ scope: NOTES, records: 1 })
    await until(() => seen.some((e) => e.scope === NOTES && e.key === 'secret' && !('action' in e)), 'the delete')

    expect(await client.getRecord(alice.did, NOTES, 'secret')).toBeNull() // absence, proven
    const again = await ownerCall(server.url, alice, 'dev.hearth.scope.deleteRecord', { body: { scope: NOTES, key: 'secret' } })
    expect(again.status).toBe(404)
    expect(again.json.error).toBe('RecordNotFound')
    const repo = await client.getRepo(alice.did, NOTES)
    expect(repo.records.map((r) => r.key)).toEqual(['keep'])
    expect(databaseBytes().includes(MARKER)).toBe(false)
  })

  it('a deleted scope: the follower gets a delete per record, reads are refused (Revoked), nothing of it is left, the owner sees what went', async () => {
    await ingestKeyed(alice, NOTES, 'diary', { note: MARKER2 })
    await until(() => seen.some((e) => e.key === 'diary'), 'the diary create')
    expect(databaseBytes().includes(MARKER2)).toBe(true)
    const before = seen.length

    // Neither an app nor another account can delete it.
    const byApp = await app.call(server.url, 'dev.hearth.scope.deleteScope', { body: { scope: NOTES } })
    expect(byApp.status).toBe(401)
    const byBob = await ownerCall(server.url, bob, 'dev.hearth.scope.deleteScope', { body: { scope: NOTES } })
    expect(byBob.status).toBe(404) // bob has no such scope; alice's is untouched
    expect(head(alice.did, NOTES)).not.toBeNull()

    const res = await ownerCall(server.url, alice, 'dev.hearth.scope.deleteScope', { body: { scope: NOTES } })
    expect(res.status, JSON.stringify(res.json)).toBe(200)
    expect(res.json).toMatchObject({ scope: NOTES, records: 2 })
    await until(() => seen.length >= before + 2, 'two deletes')
    expect(seen.slice(before).map((e) => `${'action' in e ? e.action : 'delete'} ${e.key}`).sort()).toEqual(['delete diary', 'delete keep'])

    await expect(client.listRecords(alice.did, NOTES)).rejects.toBeInstanceOf(Revoked)
    const other = new HearthAppClient({ pds: server.url, identity: app, plcUrl: server.plcUrl })
    const refused = await other.listRecords(alice.did, NOTES).catch((e) => e)
    expect(refused).toBeInstanceOf(NotGranted)
    expect(refused).not.toBeInstanceOf(Revoked)
    expect(head(alice.did, NOTES)).toBeNull()
    const db = ctx().db
    for (const table of ['repo_block', 'record', 'scope_record']) {
      expect((db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE did = ? AND scope = ?`).get(alice.did, NOTES) as { n: number }).n, table).toBe(0)
    }
    expect((db.prepare('SELECT COUNT(*) AS n FROM scope_grant_scope WHERE scope = ?').get(NOTES) as { n: number }).n).toBe(0)
    expect((db.prepare('SELECT COUNT(*) AS n FROM scope_read_log WHERE scope = ?').get(NOTES) as { n: number }).n).toBe(0)
    expect(databaseBytes().includes(MARKER2)).toBe(false)

    // A follower that replays from the start still learns of the deletes (the scope's last event stays for it).
    const replayed: FollowedDelete[] = []
    const replay = client.follow([NOTES], { cursor: 0, onDelete: (d) => void replayed.push(d) })
    await until(() => replayed.length >= 2, 'replayed deletes')
    replay.close()

    const history = ctx().scopes.deletions.forOwner(alice.did)
    expect(history.map((d) => [d.kind, d.scope, d.detail])).toEqual([
      ['scope', NOTES, 'whole scope'],
      ['record', NOTES, 'secret'],
    ])
    expect(JSON.stringify(history)).not.toContain(MARKER)
  })

  it('everything before a date, through the control socket; one record by key there too (and by the CLI)', async () => {
    const control = new ControlClient(server.pds.controlSocket!)
    const batch = await control.json('POST', '/ingest', { repo: bob.did, scope: 'old.things', items: [{ key: 'one', data: { n: 1 } }, { key: 'two', data: { n: 2 } }] })
    expect(batch.records.map((r: any) => [r.rkey, r.action])).toEqual([['one', 'create'], ['two', 'create']])
    const cut = new Date().toISOString()
    await new Promise((r) => setTimeout(r, 5))
    await ingestKeyed(bob, 'old.things', 'three', { n: 3 })
    const out = await control.json('POST', `/scopes/${bob.handle}/delete-before`, { before: cut })
    // No scope named: every scope of bob's (the contacts of the CLI test were collected before the cut too).
    expect(out.scopes).toEqual([expect.objectContaining({ scope: 'old.things', records: 2 }), expect.objectContaining({ scope: 'phone.contacts', records: 2 })])
    expect(ctx().scopes.records.keys(bob.did, 'old.things')).toEqual(['three'])
    const cli = await runCli(server.pds.controlSocket!, ['scopes', 'delete-record', bob.did, 'old.things', 'three'])
    expect(cli.code, cli.stderr).toBe(0)
    expect(JSON.parse(cli.stdout)).toMatchObject({ scope: 'old.things', records: 1 })
    expect(ctx().scopes.records.keys(bob.did, 'old.things')).toEqual([])
    const missing = await control.json('DELETE', `/scopes/${bob.did}/old.things/records/three`).catch((e) => e)
    expect(missing).toBeInstanceOf(ControlError)
    expect((missing as ControlError).status).toBe(404)
    const refused = await runCli(server.pds.controlSocket!, ['scopes', 'delete', bob.did, 'old.things'])
    expect(refused.code).toBe(2) // no --yes
    expect(head(bob.did, 'old.things')).not.toBeNull()
    await control.json('DELETE', `/scopes/${bob.did}/old.things`)
    expect(head(bob.did, 'old.things')).toBeNull()
  })
})

describe('bad input: a clear 4xx, nothing changed', () => {
  it('a key that is not a record key, twice in a batch, or with an array; a delete of a missing key; a bad date', async () => {
    await ingestKeyed(bob, 'bad.inputs', 'k', { v: 1 })
    const before = { head: head(bob.did, 'bad.inputs'), seq: ctx().eventLog.lastSeq() }
    const bodies = [
      { scope: 'bad.inputs', key: 'no spaces', data: { v: 2 } },
      { scope: 'bad.inputs', key: '..', data: { v: 2 } },
      { scope: 'bad.inputs', key: 'x'.repeat(600), data: { v: 2 } },
      { scope: 'bad.inputs', items: [{ key: 'a', data: { v: 1 } }, { key: 'a', data: { v: 2 } }] },
      { scope: 'bad.inputs', key: 'k', data: [{ v: 2 }, { v: 3 }] },
      { scope: 'bad.inputs', items: [{ key: 7, data: { v: 2 } }] },
    ]
    for (const body of bodies) {
      const res = await ownerCall(server.url, bob, 'dev.hearth.scope.ingest', { body })
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400)
      expect(typeof res.json.message).toBe('string')
    }
    const missing = await ownerCall(server.url, bob, 'dev.hearth.scope.deleteRecord', { body: { scope: 'bad.inputs', key: 'nope' } })
    expect(missing.status).toBe(404)
    const badKey = await ownerCall(server.url, bob, 'dev.hearth.scope.deleteRecord', { body: { scope: 'bad.inputs', key: 'a b' } })
    expect(badKey.status).toBe(400)
    const badDate = await ownerCall(server.url, bob, 'dev.hearth.scope.deleteBefore', { body: { scope: 'bad.inputs', before: 'yesterday' } })
    expect(badDate.status).toBe(400)
    const noScope = await ownerCall(server.url, bob, 'dev.hearth.scope.deleteScope', { body: { scope: 'no.such' } })
    expect(noScope.status).toBe(404)
    expect({ head: head(bob.did, 'bad.inputs'), seq: ctx().eventLog.lastSeq() }).toEqual(before)
  })
})

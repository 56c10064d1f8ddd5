/**
 * Scope data never leaves through the public doors. Objects carrying a
 * unique marker go into scopes (one of them named like an NSID, so a public
 * method could mistake it for a collection); then every byte the public
 * firehose sends (live and replayed), every byte of getRepo, and every
 * public read of the account is searched for the marker, for the encoded
 * content, for the scope record CIDs and for the scope names.
 */
import crypto from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { encode as cborEncode } from '@atproto/lex-cbor'
import { parseCid } from '@atproto/lex-data'
import { IdResolver } from '@atproto/identity'
import { verifyRepoCar } from '@atproto/repo'
import { startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'
import { ingest, ownerCall } from './owner.js'

const MARKER = `hearth-private-${crypto.randomBytes(8).toString('hex')}`
// A valid NSID as well as a scope name: public methods take it as a collection.
const NSID_LIKE = 'chatgpt.conversations.shared'
const PROFILE = 'instagram.profile'
const SECRET = { title: `${MARKER} chat`, turns: [{ role: 'user', text: `${MARKER} my bank pin` }], n: 42 }

let server: TestServer
let alice: TestAccount
let live: { frames: Buffer[]; ws: WebSocket }
const scopeCids: string[] = []
const scopeRkeys: string[] = []
let publicHeadBefore: { cid: string; rev: string }

/** What must not appear in any public byte. */
function leaks(bytes: Uint8Array): string[] {
  const buf = Buffer.from(bytes)
  const found: string[] = []
  if (buf.includes(MARKER)) found.push('marker')
  if (buf.includes(Buffer.from(cborEncode(SECRET as never)))) found.push('encoded content')
  for (const name of [NSID_LIKE, PROFILE]) if (buf.includes(name)) found.push(`scope name ${name}`)
  for (const cid of scopeCids) {
    if (buf.includes(cid)) found.push(`cid text ${cid}`)
    if (buf.includes(Buffer.from(parseCid(cid).bytes))) found.push(`cid bytes ${cid}`)
  }
  return found
}

const post = (text: string) => ({ $type: 'app.bsky.feed.post', text, createdAt: new Date().toISOString() })

beforeAll(async () => {
  server = await startTestServer()
  alice = await server.createAccount('alice')
  await alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: 'app.bsky.feed.post', record: post('before') })
  live = await openPublicFirehose()
  publicHeadBefore = (await server.agent().com.atproto.sync.getLatestCommit({ did: alice.did })).data

  for (const [scope, data] of [
    [NSID_LIKE, SECRET],
    [NSID_LIKE, [SECRET, { ...SECRET, n: 43 }, { other: MARKER }]],
    [PROFILE, { name: MARKER }],
  ] as const) {
    const out = await ingest(server.url, alice, scope, data)
    for (const r of out.records) {
      scopeCids.push(r.cid)
      scopeRkeys.push(r.rkey)
    }
    scopeCids.push(out.commit)
  }
  // A public write after the scope writes: once the live firehose has it, it has had every chance to leak.
  const after = await alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: 'app.bsky.feed.post', record: post('after') })
  await until(() => live.frames.some((f) => f.includes(Buffer.from(parseCid(after.data.cid).bytes))), 'the public write on the live firehose')
})

afterAll(async () => {
  live?.ws.close()
  await server?.close({ removeData: true })
})

describe('no scope data on public doors', () => {
  it('the scope data is there, for its owner', async () => {
    const res = await ownerCall(server.url, alice, 'dev.hearth.scope.listRecords', { params: { repo: alice.did, scope: NSID_LIKE } })
    expect(res.json.records).toHaveLength(4)
    expect(Buffer.from(res.bytes).includes(MARKER)).toBe(true)
    // And the leak check would see it if it were anywhere.
    expect(leaks(res.bytes)).toContain('marker')
  })

  it('the live public firehose carried the account’s public commits and not one scope byte', async () => {
    expect(live.frames.length).toBeGreaterThan(0)
    for (const frame of live.frames) expect(leaks(frame)).toEqual([])
  })

  it('a replay of the public firehose from the start carries none either', async () => {
    const replay = await openPublicFirehose(0)
    const total = server.pds.ctx.eventLog.eventsAfter(0, 10_000, ['']).length
    await until(() => replay.frames.length >= total, 'the whole public replay')
    replay.ws.close()
    expect(replay.frames.length).toBe(total)
    for (const frame of replay.frames) expect(leaks(frame)).toEqual([])
  })

  it('getRepo (whole, and since a rev) holds only the public repo, unchanged by the scope writes', async () => {
    const sync = server.agent().com.atproto.sync
    const car = (await sync.getRepo({ did: alice.did })).data
    expect(leaks(car)).toEqual([])
    const key = await new IdResolver({ plcUrl: server.plcUrl }).did.resolveAtprotoKey(alice.did, true)
    const verified = await verifyRepoCar(car, alice.did, key)
    expect(verified.creates.every((c) => c.collection === 'app.bsky.feed.post')).toBe(true)
    expect(leaks((await sync.getRepo({ did: alice.did, since: publicHeadBefore.rev })).data)).toEqual([])
    // The scope commits did not move the public head: only the public write after them did.
    const head = (await sync.getLatestCommit({ did: alice.did })).data
    expect(head.rev > publicHeadBefore.rev).toBe(true)
    expect(verified.commit.rev).toBe(head.rev)
  })

  it('listRecords, getRecord, describeRepo and the sync reads know nothing of the scopes', async () => {
    const agent = server.agent()
    const repo = agent.com.atproto.repo
    const described = await repo.describeRepo({ repo: alice.did })
    expect(described.data.collections).toEqual(['app.bsky.feed.post'])
    const listed = await repo.listRecords({ repo: alice.did, collection: NSID_LIKE })
    expect(listed.data.records).toEqual([])
    for (const collection of described.data.collections) {
      const res = await fetch(`${server.url}/xrpc/com.atproto.repo.listRecords?repo=${alice.did}&collection=${collection}`)
      expect(leaks(new Uint8Array(await res.arrayBuffer()))).toEqual([])
    }
    for (const rkey of scopeRkeys) {
      const got = await fetch(`${server.url}/xrpc/com.atproto.repo.getRecord?repo=${alice.did}&collection=${NSID_LIKE}&rkey=${rkey}`)
      expect(got.status).toBe(400)
      expect((await got.json()).error).toBe('RecordNotFound')
      const proof = await fetch(`${server.url}/xrpc/com.atproto.sync.getRecord?did=${alice.did}&collection=${NSID_LIKE}&rkey=${rkey}`)
      expect(leaks(new Uint8Array(await proof.arrayBuffer()))).toEqual([])
    }
    const blocks = await fetch(`${server.url}/xrpc/com.atproto.sync.getBlocks?did=${alice.did}&${scopeCids.map((c) => `cids=${c}`).join('&')}`)
    expect(blocks.status).toBe(400)
    // The error names the CIDs asked for (the caller's own words), and nothing else.
    expect(leaks(new Uint8Array(await blocks.arrayBuffer())).filter((l) => !l.startsWith('cid text'))).toEqual([])
    for (const path of [`com.atproto.sync.listRepos`, `com.atproto.sync.getRepoStatus?did=${alice.did}`, `com.atproto.sync.listBlobs?did=${alice.did}`]) {
      const res = await fetch(`${server.url}/xrpc/${path}`)
      expect(leaks(new Uint8Array(await res.arrayBuffer()))).toEqual([])
    }
  })

  it('the scoped firehose is closed to anyone without a grant (a public client gets an error frame only)', async () => {
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/xrpc/dev.hearth.scope.subscribe?cursor=0`)
    const frames: Buffer[] = []
    ws.on('message', (d: Buffer) => frames.push(Buffer.from(d)))
    const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)))
    expect(code).toBe(1008)
    expect(frames).toHaveLength(1)
    expect(leaks(frames[0])).toEqual([])
  })
})

async function openPublicFirehose(cursor?: number): Promise<{ frames: Buffer[]; ws: WebSocket }> {
  const url = new URL('/xrpc/com.atproto.sync.subscribeRepos', server.url.replace(/^http/, 'ws'))
  if (cursor !== undefined) url.searchParams.set('cursor', String(cursor))
  const ws = new WebSocket(url)
  const frames: Buffer[] = []
  ws.on('message', (d: Buffer) => frames.push(Buffer.from(d)))
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  await until(() => server.pds.ctx.firehose.stats().live + server.pds.ctx.firehose.stats().replaying > 0, 'the subscriber')
  return { frames, ws }
}

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

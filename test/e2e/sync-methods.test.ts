/**
 * com.atproto.sync.* and identity reads end to end. What sync serves is not
 * taken on trust: every CAR is checked with @atproto/repo's verifiers against
 * the signing key in the account's DID document, resolved from the test PLC
 * directory with @atproto/identity.
 */
import crypto from 'node:crypto'
import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IdResolver } from '@atproto/identity'
import { Secp256k1Keypair } from '@atproto/crypto'
import { lexToJson } from '@atproto/lexicon'
import { decodeAll } from '@atproto/lex-cbor'
import { createCid, parseCid } from '@atproto/lex-data'
import {
  MemoryBlockstore,
  Repo,
  readCar,
  readCarWithRoot,
  verifyCommitSig,
  verifyDiffCar,
  verifyProofs,
  verifyRecords,
  verifyRepoCar,
  type Commit,
} from '@atproto/repo'
import { cborDecode } from '@atproto/lex-cbor'
import { startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'
import { expectXrpcError, expectErrorResponse } from './xrpc-expect.js'

let server: TestServer
let idResolver: IdResolver
let alice: TestAccount
let signingKey: string
/** What was written to alice's repo and is there now: "collection/rkey" → { cid, value as JSON }. */
const written = new Map<string, { cid: string; value: unknown }>()

const POST = 'app.bsky.feed.post'

beforeAll(async () => {
  server = await startTestServer()
  idResolver = new IdResolver({ plcUrl: server.plcUrl })
  alice = await server.createAccount('alice')
  signingKey = await idResolver.did.resolveAtprotoKey(alice.did, true)
  for (let i = 0; i < 12; i++) {
    await write(POST, undefined, { $type: POST, text: `post ${i}`, createdAt: new Date().toISOString() })
  }
  for (const rkey of ['self', 'other']) await write('com.example.thing', rkey, { $type: 'com.example.thing', rkey, nested: { list: [1, 2, 3] } })
})
afterAll(() => server.close({ removeData: true }))

async function write(collection: string, rkey: string | undefined, value: Record<string, unknown>) {
  const res = await alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection, rkey, record: value })
  written.set(`${collection}/${res.data.uri.split('/').pop()}`, { cid: res.data.cid, value })
  return res.data
}

const sync = () => server.agent().com.atproto.sync
const head = async (did = alice.did) => (await sync().getLatestCommit({ did })).data

describe('getRepo', () => {
  it('serves the whole repo as a CAR that verifies against the DID document key, holding exactly what was written', async () => {
    const res = await sync().getRepo({ did: alice.did })
    expect(res.headers['content-type']).toBe('application/vnd.ipld.car')
    const verified = await verifyRepoCar(res.data, alice.did, signingKey)
    const current = await head()
    expect(verified.commit.cid.toString()).toBe(current.cid)
    expect(verified.commit.rev).toBe(current.rev)

    const { blocks } = await readCarWithRoot(res.data)
    const inCar = new Map(
      verified.creates.map((c) => [`${c.collection}/${c.rkey}`, { cid: c.cid.toString(), value: lexToJson(cborDecode(blocks.get(c.cid)!) as never) }]),
    )
    expect(inCar).toEqual(written)
  })

  it('a CAR signed by any other key does not verify', async () => {
    const res = await sync().getRepo({ did: alice.did })
    const stranger = await Secp256k1Keypair.create()
    await expect(verifyRepoCar(res.data, alice.did, stranger.did())).rejects.toThrow(/signature/i)
    await expect(verifyRepoCar(res.data, 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', signingKey)).rejects.toThrow(/did/i)
  })

  it('a new account serves an empty, signed repo', async () => {
    const fresh = await server.createAccount('fresh')
    const key = await idResolver.did.resolveAtprotoKey(fresh.did, true)
    const res = await sync().getRepo({ did: fresh.did })
    const verified = await verifyRepoCar(res.data, fresh.did, key)
    expect(verified.creates).toEqual([])
    expect(verified.commit.cid.toString()).toBe((await head(fresh.did)).cid)
  })

  it('with `since`, serves a diff that applies to the repo at that rev', async () => {
    const bob = await server.createAccount('bob')
    const key = await idResolver.did.resolveAtprotoKey(bob.did, true)
    const put = (rkey: string, v: number) =>
      bob.agent.com.atproto.repo.putRecord({ repo: bob.did, collection: 'com.example.thing', rkey, record: { $type: 'com.example.thing', v } })
    await put('a', 1)
    await put('b', 2)
    await put('c', 3)
    await put('d', 4)
    const before = await head(bob.did)
    const full = (await sync().getRepo({ did: bob.did })).data
    const car = await readCarWithRoot(full)
    const oldRepo = await Repo.load(new MemoryBlockstore(car.blocks), car.root)

    await put('b', 5) // update
    await bob.agent.com.atproto.repo.deleteRecord({ repo: bob.did, collection: 'com.example.thing', rkey: 'c' })
    // A create whose content is already in the repo (same block as 'a'): the
    // diff must still carry the block, as the new leaf's content.
    await put('e', 1)
    const after = await head(bob.did)

    const diff = (await sync().getRepo({ did: bob.did, since: before.rev })).data
    expect(diff.length).toBeLessThan((await sync().getRepo({ did: bob.did })).data.length)
    const verified = await verifyDiffCar(oldRepo, diff, bob.did, key)
    expect(verified.commit.cid.toString()).toBe(after.cid)
    const ops = verified.writes.map((w) => `${w.action} ${w.collection}/${w.rkey}`).sort()
    expect(ops).toEqual(['create com.example.thing/e', 'delete com.example.thing/c', 'update com.example.thing/b'])

    // Nothing new since the head: a CAR with the root and no changes.
    const empty = await readCarWithRoot((await sync().getRepo({ did: bob.did, since: after.rev })).data)
    expect(empty.root.toString()).toBe(after.cid)
  })

  it('a repo of several hundred records streams in chunks and verifies whole; writes made during the download leave that CAR as the snapshot it began as', async () => {
    const dave = await server.createAccount('dave')
    const key = await idResolver.did.resolveAtprotoKey(dave.did, true)
    // Each batch repeats the last one's contents: records share blocks, which
    // the delete below must not take from the records still using them.
    const text = 'x'.repeat(2000)
    for (let batch = 0; batch < 3; batch++) {
      await dave.agent.com.atproto.repo.applyWrites({
        repo: dave.did,
        writes: Array.from({ length: 150 }, (_, i) => ({
          $type: 'com.atproto.repo.applyWrites#create' as const,
          collection: `com.example.c${i % 3}`,
          rkey: `b${batch}-${String(i).padStart(3, '0')}`,
          value: { $type: `com.example.c${i % 3}`, text, i },
        })),
      })
    }
    const snapshot = await head(dave.did)
    const res = await fetch(`${server.url}/xrpc/com.atproto.sync.getRepo?did=${dave.did}`)
    expect(res.headers.get('content-type')).toBe('application/vnd.ipld.car')
    const reader = res.body!.getReader()
    const chunks: Uint8Array[] = []
    const first = await reader.read()
    chunks.push(first.value!)
    // Writes land while the rest is still to come; the CAR stays the snapshot it started as.
    await dave.agent.com.atproto.repo.deleteRecord({ repo: dave.did, collection: 'com.example.c0', rkey: 'b0-000' })
    await dave.agent.com.atproto.repo.createRecord({ repo: dave.did, collection: 'com.example.c1', rkey: 'late', record: { $type: 'com.example.c1' } })
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(value)
    }
    const car = Buffer.concat(chunks)
    expect(car.length).toBeGreaterThan(300_000) // several 64 KiB chunks
    const verified = await verifyRepoCar(car, dave.did, key)
    expect(verified.commit.cid.toString()).toBe(snapshot.cid)
    expect(verified.creates).toHaveLength(450)
    const after = await verifyRepoCar((await sync().getRepo({ did: dave.did })).data, dave.did, key)
    expect(after.creates).toHaveLength(450)
    expect(after.creates.some((c) => c.rkey === 'late')).toBe(true)
    expect(after.creates.some((c) => c.rkey === 'b0-000')).toBe(false)
  })

  it('refuses an unknown DID and a malformed since', async () => {
    await expectXrpcError(sync().getRepo({ did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' }), 400, 'RepoNotFound')
    await expectXrpcError(sync().getRepo({ did: alice.did, since: 'not-a-rev' }), 400, 'InvalidRequest')
  })
})

describe('getLatestCommit and getRepoStatus', () => {
  it('getLatestCommit is the commit of the last write', async () => {
    const res = await write(POST, undefined, { $type: POST, text: 'latest', createdAt: new Date().toISOString() })
    expect(await head()).toEqual(res.commit)
  })

  it('getRepoStatus reports an active repo at its rev', async () => {
    const res = await sync().getRepoStatus({ did: alice.did })
    expect(res.data).toEqual({ did: alice.did, active: true, rev: (await head()).rev })
    await expectXrpcError(sync().getRepoStatus({ did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' }), 400, 'RepoNotFound')
  })
})

describe('sync.getRecord', () => {
  it('serves a proof CAR that verifies the record, signed by the DID document key', async () => {
    const [path, entry] = [...written.entries()][3]
    const [collection, rkey] = path.split('/')
    const res = await sync().getRecord({ did: alice.did, collection, rkey })
    expect(res.headers['content-type']).toBe('application/vnd.ipld.car')
    const car = await readCarWithRoot(res.data)
    expect(car.root.toString()).toBe((await head()).cid)

    const proof = await verifyProofs(res.data, [{ collection, rkey, cid: parseCid(entry.cid) }], alice.did, signingKey)
    expect(proof.verified).toHaveLength(1)
    expect(proof.unverified).toHaveLength(0)
    const records = await verifyRecords(res.data, alice.did, signingKey)
    const found = records.find((r) => r.collection === collection && r.rkey === rkey)!
    expect(lexToJson(found.record as never)).toEqual(entry.value)

    // The same proof refutes a claim of another CID.
    const other = [...written.values()][0].cid
    const wrong = await verifyProofs(res.data, [{ collection, rkey, cid: parseCid(other) }], alice.did, signingKey)
    expect(wrong.unverified).toHaveLength(1)
    const stranger = await Secp256k1Keypair.create()
    await expect(verifyProofs(res.data, [{ collection, rkey, cid: parseCid(entry.cid) }], alice.did, stranger.did())).rejects.toThrow(/signature/i)
  })

  it('for a record that is not there, serves a proof of its absence', async () => {
    const res = await sync().getRecord({ did: alice.did, collection: 'com.example.thing', rkey: 'absent' })
    const proof = await verifyProofs(res.data, [{ collection: 'com.example.thing', rkey: 'absent', cid: null }], alice.did, signingKey)
    expect(proof.verified).toHaveLength(1)
  })
})

describe('getBlocks', () => {
  it('serves the blocks asked for, each matching its CID; the commit block verifies', async () => {
    const current = await head()
    const record = written.get('com.example.thing/self')!
    const res = await sync().getBlocks({ did: alice.did, cids: [current.cid, record.cid] })
    expect(res.headers['content-type']).toBe('application/vnd.ipld.car')
    const car = await readCar(res.data) // checks every block against its CID
    expect(car.blocks.size).toBe(2)
    const commit = cborDecode(car.blocks.get(parseCid(current.cid))!) as unknown as Commit
    expect(commit.did).toBe(alice.did)
    expect(commit.rev).toBe(current.rev)
    expect(await verifyCommitSig(commit, signingKey)).toBe(true)
    expect(lexToJson(cborDecode(car.blocks.get(parseCid(record.cid))!) as never)).toEqual(record.value)
  })

  it('names the blocks it does not have', async () => {
    const missing = 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm'
    const err = await expectXrpcError(sync().getBlocks({ did: alice.did, cids: [(await head()).cid, missing] }), 400, 'BlockNotFound')
    expect(err.message).toContain(missing)
    // Another account's blocks are not this repo's.
    const other = await server.createAccount('other')
    await expectXrpcError(sync().getBlocks({ did: other.did, cids: [(await head()).cid] }), 400, 'BlockNotFound')
  })
})

describe('listRepos', () => {
  it('lists every repo with its head and rev, in pages', async () => {
    const all = await sync().listRepos({ limit: 1000 })
    const mine = all.data.repos.find((r) => r.did === alice.did)!
    const current = await head()
    expect(mine).toEqual({ did: alice.did, head: current.cid, rev: current.rev, active: true })
    const dids: string[] = []
    let cursor: string | undefined
    do {
      const page = await sync().listRepos({ limit: 2, cursor })
      expect(page.data.repos.length).toBeLessThanOrEqual(2)
      dids.push(...page.data.repos.map((r) => r.did))
      cursor = page.data.cursor
    } while (cursor)
    expect(dids).toEqual(all.data.repos.map((r) => r.did))
    expect(new Set(dids).size).toBe(dids.length)
  })
})

describe('getBlob and listBlobs', () => {
  it('serves the exact bytes under their content address, and lists the blobs records use', async () => {
    const bytes = crypto.randomBytes(5000)
    const uploaded = await alice.agent.uploadBlob(bytes, { encoding: 'image/jpeg' })
    const cid = uploaded.data.blob.ref.toString()
    expect(cid).toBe(createCid(0x55, 0x12, crypto.createHash('sha256').update(bytes).digest()).toString())
    const since = (await head()).rev
    await alice.agent.com.atproto.repo.createRecord({
      repo: alice.did,
      collection: POST,
      record: {
        $type: POST,
        text: 'picture',
        createdAt: new Date().toISOString(),
        embed: { $type: 'app.bsky.embed.images', images: [{ image: uploaded.data.blob, alt: '' }] },
      },
    })
    const got = await sync().getBlob({ did: alice.did, cid })
    expect(Buffer.from(got.data).equals(bytes)).toBe(true)
    expect(got.headers['content-type']).toBe('image/jpeg')
    expect((await sync().listBlobs({ did: alice.did })).data.cids).toEqual([cid])
    expect((await sync().listBlobs({ did: alice.did, since })).data.cids).toEqual([cid])
    await expectXrpcError(sync().getBlob({ did: alice.did, cid: 'not-a-cid' }), 400, 'InvalidRequest')
  })
})

describe('handles', () => {
  it('resolveHandle answers with the DID, whatever the case; an unknown handle is HandleNotFound', async () => {
    const res = await server.agent().com.atproto.identity.resolveHandle({ handle: alice.handle })
    expect(res.data.did).toBe(alice.did)
    const upper = await server.agent().com.atproto.identity.resolveHandle({ handle: alice.handle.toUpperCase() })
    expect(upper.data.did).toBe(alice.did)
    await expectXrpcError(server.agent().com.atproto.identity.resolveHandle({ handle: 'nobody.test' }), 400, 'HandleNotFound')
  })

  it('/.well-known/atproto-did answers for a Host that is one of our handles', async () => {
    const ok = await getWithHost('/.well-known/atproto-did', alice.handle)
    expect(ok.status).toBe(200)
    expect(ok.body.trim()).toBe(alice.did)
    const missing = await getWithHost('/.well-known/atproto-did', 'nobody.test')
    expect(missing.status).toBe(404)
    expect(JSON.parse(missing.body)).toMatchObject({ error: 'NotFound' })
  })

  it('updateHandle moves the handle in the PLC directory, here, and in the event log', async () => {
    const carol = await server.createAccount('carol')
    const oldHandle = carol.handle
    const newHandle = `carol-renamed.test`
    const lastSeq = server.pds.ctx.eventLog.lastSeq()
    await carol.agent.com.atproto.identity.updateHandle({ handle: newHandle })

    const data = await idResolver.did.resolveAtprotoData(carol.did, true)
    expect(data.handle).toBe(newHandle)
    const doc = await idResolver.did.resolve(carol.did, true)
    expect(doc!.alsoKnownAs).toEqual([`at://${newHandle}`])
    // The signing key did not change with it.
    expect(data.signingKey).toBe(await idResolver.did.resolveAtprotoKey(carol.did, true))

    const rows = server.pds.ctx.db
      .prepare("SELECT seq, frame FROM repo_seq WHERE did = ? AND event_type = '#identity' AND seq > ?")
      .all(carol.did, lastSeq) as { seq: number; frame: Uint8Array }[]
    expect(rows).toHaveLength(1)
    const [header, body] = [...decodeAll(rows[0].frame)] as [{ op: number; t: string }, { seq: number; did: string; handle: string }]
    expect(header).toEqual({ op: 1, t: '#identity' })
    expect(body).toMatchObject({ seq: rows[0].seq, did: carol.did, handle: newHandle })

    expect((await server.agent().com.atproto.identity.resolveHandle({ handle: newHandle })).data.did).toBe(carol.did)
    await expectXrpcError(server.agent().com.atproto.identity.resolveHandle({ handle: oldHandle }), 400, 'HandleNotFound')
    expect((await getWithHost('/.well-known/atproto-did', newHandle)).body.trim()).toBe(carol.did)
    const described = await server.agent().com.atproto.repo.describeRepo({ repo: carol.did })
    expect(described.data).toMatchObject({ handle: newHandle, handleIsCorrect: true })
    expect((await carol.agent.com.atproto.server.getSession()).data.handle).toBe(newHandle)

    // Someone else's handle is not available.
    const seq = server.pds.ctx.eventLog.lastSeq()
    await expectXrpcError(carol.agent.com.atproto.identity.updateHandle({ handle: alice.handle }), 400, 'HandleNotAvailable')
    expect(server.pds.ctx.eventLog.lastSeq()).toBe(seq)
    expect((await idResolver.did.resolveAtprotoData(carol.did, true)).handle).toBe(newHandle)
  })
})

describe('health', () => {
  it('GET /xrpc/_health answers 200 with a version', async () => {
    const res = await fetch(`${server.url}/xrpc/_health`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ version: expect.any(String) })
  })

  it('an unknown path is a JSON 404', async () => {
    await expectErrorResponse(await fetch(`${server.url}/no/such/page`), 404, 'NotFound')
  })
})

/** GET with a chosen Host header (fetch does not let one set it). */
function getWithHost(pathname: string, host: string): Promise<{ status: number; body: string }> {
  const url = new URL(server.url)
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname: '127.0.0.1', port: url.port, path: pathname, headers: { host } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode!, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

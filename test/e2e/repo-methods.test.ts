/**
 * com.atproto.repo.* end to end through AtpAgent: record writes (create,
 * put, delete, applyWrites with swaps), reads (getRecord, listRecords,
 * describeRepo), blobs, and record validation with known and unknown
 * lexicons. Every refused write is checked to have changed nothing: same
 * repo head, same last event.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TID } from '@atproto/common'
import { startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'
import { expectXrpcError } from './xrpc-expect.js'

let server: TestServer
let alice: TestAccount

beforeAll(async () => {
  server = await startTestServer()
  alice = await server.createAccount('alice')
})
afterAll(() => server.close({ removeData: true }))

const POST = 'app.bsky.feed.post'
const post = (text: string) => ({ $type: POST, text, createdAt: new Date().toISOString() })

async function head(did: string) {
  return (await server.agent().com.atproto.sync.getLatestCommit({ did })).data
}

/** Runs a write that must be refused, and checks that the repo and the event log did not move. */
async function expectRefusedWrite(did: string, call: () => Promise<unknown>, status: number, error: string) {
  const before = await head(did)
  const lastSeq = server.pds.ctx.eventLog.lastSeq()
  await expectXrpcError(call(), status, error)
  expect(await head(did)).toEqual(before)
  expect(server.pds.ctx.eventLog.lastSeq()).toBe(lastSeq)
}

describe('createRecord', () => {
  it('writes a record under a new TID and answers with its URI, CID and commit', async () => {
    const before = await head(alice.did)
    const res = await alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: POST, record: post('first') })
    const rkey = res.data.uri.split('/').pop()!
    expect(res.data.uri).toBe(`at://${alice.did}/${POST}/${rkey}`)
    expect(TID.is(rkey)).toBe(true)
    expect(res.data.cid).toMatch(/^bafyrei/)
    expect(res.data.validationStatus).toBe('valid')
    expect(res.data.commit!.cid).not.toBe(before.cid)
    expect(res.data.commit!.rev > before.rev).toBe(true)
    expect(await head(alice.did)).toEqual(res.data.commit)
    const got = await server.agent().com.atproto.repo.getRecord({ repo: alice.did, collection: POST, rkey })
    expect(got.data).toMatchObject({ uri: res.data.uri, cid: res.data.cid, value: { text: 'first' } })
  })

  it('takes a chosen rkey (by handle as well as DID), and refuses to create over an existing record', async () => {
    const rkey = TID.nextStr()
    const res = await alice.agent.com.atproto.repo.createRecord({ repo: alice.handle, collection: POST, rkey, record: post('chosen') })
    expect(res.data.uri).toBe(`at://${alice.did}/${POST}/${rkey}`)
    await expectRefusedWrite(
      alice.did,
      () => alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: POST, rkey, record: post('again') }),
      400,
      'InvalidRequest',
    )
  })

  it('honours swapCommit: the current head passes, another one is InvalidSwap', async () => {
    const current = await head(alice.did)
    const ok = await alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: POST, record: post('swap ok'), swapCommit: current.cid })
    expect(ok.data.commit!.cid).not.toBe(current.cid)
    await expectRefusedWrite(
      alice.did,
      () => alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: POST, record: post('stale'), swapCommit: current.cid }),
      400,
      'InvalidSwap',
    )
  })
})

describe('putRecord', () => {
  it('creates, then updates, and an identical put makes no commit', async () => {
    const rkey = TID.nextStr()
    const created = await alice.agent.com.atproto.repo.putRecord({ repo: alice.did, collection: POST, rkey, record: post('v1') })
    expect(created.data.validationStatus).toBe('valid')
    const updated = await alice.agent.com.atproto.repo.putRecord({
      repo: alice.did,
      collection: POST,
      rkey,
      record: { $type: POST, text: 'v2', createdAt: '2024-01-01T00:00:00.000Z' },
    })
    expect(updated.data.uri).toBe(created.data.uri)
    expect(updated.data.cid).not.toBe(created.data.cid)
    expect(updated.data.commit!.rev > created.data.commit!.rev).toBe(true)
    const got = await server.agent().com.atproto.repo.getRecord({ repo: alice.did, collection: POST, rkey })
    expect(got.data.value).toMatchObject({ text: 'v2' })
    expect(got.data.cid).toBe(updated.data.cid)

    const lastSeq = server.pds.ctx.eventLog.lastSeq()
    const same = await alice.agent.com.atproto.repo.putRecord({
      repo: alice.did,
      collection: POST,
      rkey,
      record: { $type: POST, text: 'v2', createdAt: '2024-01-01T00:00:00.000Z' },
    })
    expect(same.data.cid).toBe(updated.data.cid)
    expect(await head(alice.did)).toEqual(updated.data.commit)
    expect(server.pds.ctx.eventLog.lastSeq()).toBe(lastSeq)
  })

  it('honours swapRecord (a CID, or null for "must not exist") and swapCommit', async () => {
    const rkey = TID.nextStr()
    const first = await alice.agent.com.atproto.repo.putRecord({ repo: alice.did, collection: POST, rkey, record: post('a'), swapRecord: null })
    const second = await alice.agent.com.atproto.repo.putRecord({
      repo: alice.did,
      collection: POST,
      rkey,
      record: post('b'),
      swapRecord: first.data.cid,
    })
    const put = (swap: { swapRecord?: string | null; swapCommit?: string }) => () =>
      alice.agent.com.atproto.repo.putRecord({ repo: alice.did, collection: POST, rkey, record: post('c'), ...swap })
    await expectRefusedWrite(alice.did, put({ swapRecord: first.data.cid }), 400, 'InvalidSwap')
    await expectRefusedWrite(alice.did, put({ swapRecord: null }), 400, 'InvalidSwap')
    await expectRefusedWrite(alice.did, put({ swapCommit: first.data.commit!.cid }), 400, 'InvalidSwap')
    const got = await server.agent().com.atproto.repo.getRecord({ repo: alice.did, collection: POST, rkey })
    expect(got.data.cid).toBe(second.data.cid)
  })
})

describe('deleteRecord', () => {
  it('removes the record; deleting what is not there is a no-op', async () => {
    const created = await alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: POST, record: post('doomed') })
    const rkey = created.data.uri.split('/').pop()!
    const res = await alice.agent.com.atproto.repo.deleteRecord({ repo: alice.did, collection: POST, rkey })
    expect(res.data.commit!.rev > created.data.commit!.rev).toBe(true)
    await expectXrpcError(server.agent().com.atproto.repo.getRecord({ repo: alice.did, collection: POST, rkey }), 400, 'RecordNotFound')
    const lastSeq = server.pds.ctx.eventLog.lastSeq()
    await alice.agent.com.atproto.repo.deleteRecord({ repo: alice.did, collection: POST, rkey })
    expect(server.pds.ctx.eventLog.lastSeq()).toBe(lastSeq)
  })

  it('honours swapRecord and swapCommit', async () => {
    const created = await alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: POST, record: post('kept') })
    const rkey = created.data.uri.split('/').pop()!
    const other = await alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: POST, record: post('other') })
    const del = (swap: { swapRecord?: string; swapCommit?: string }) => () =>
      alice.agent.com.atproto.repo.deleteRecord({ repo: alice.did, collection: POST, rkey, ...swap })
    await expectRefusedWrite(alice.did, del({ swapRecord: other.data.cid }), 400, 'InvalidSwap')
    await expectRefusedWrite(alice.did, del({ swapCommit: created.data.commit!.cid }), 400, 'InvalidSwap')
    const got = await server.agent().com.atproto.repo.getRecord({ repo: alice.did, collection: POST, rkey })
    expect(got.data.cid).toBe(created.data.cid)
    await del({ swapRecord: created.data.cid, swapCommit: other.data.commit!.cid })()
    await expectXrpcError(server.agent().com.atproto.repo.getRecord({ repo: alice.did, collection: POST, rkey }), 400, 'RecordNotFound')
  })
})

describe('applyWrites', () => {
  it('takes 200 writes in one commit', async () => {
    const before = await head(alice.did)
    const lastSeq = server.pds.ctx.eventLog.lastSeq()
    const writes = Array.from({ length: 200 }, (_, i) => ({
      $type: 'com.atproto.repo.applyWrites#create' as const,
      collection: 'com.example.batch',
      rkey: `item-${String(i).padStart(3, '0')}`,
      value: { $type: 'com.example.batch', n: i },
    }))
    const res = await alice.agent.com.atproto.repo.applyWrites({ repo: alice.did, writes })
    expect(res.data.results).toHaveLength(200)
    expect(res.data.results![0]).toMatchObject({
      $type: 'com.atproto.repo.applyWrites#createResult',
      uri: `at://${alice.did}/com.example.batch/item-000`,
      validationStatus: 'unknown',
    })
    expect(res.data.commit!.rev > before.rev).toBe(true)
    expect(server.pds.ctx.eventLog.lastSeq()).toBe(lastSeq + 1) // one commit, one event
    let count = 0
    let cursor: string | undefined
    do {
      const page = await server.agent().com.atproto.repo.listRecords({ repo: alice.did, collection: 'com.example.batch', limit: 100, cursor })
      count += page.data.records.length
      cursor = page.data.cursor
    } while (cursor)
    expect(count).toBe(200)
  })

  it('refuses 201 writes and writes none of them', async () => {
    const writes = Array.from({ length: 201 }, (_, i) => ({
      $type: 'com.atproto.repo.applyWrites#create' as const,
      collection: 'com.example.toomany',
      rkey: `x${i}`,
      value: { $type: 'com.example.toomany', n: i },
    }))
    await expectRefusedWrite(alice.did, () => alice.agent.com.atproto.repo.applyWrites({ repo: alice.did, writes }), 400, 'InvalidRequest')
    const list = await server.agent().com.atproto.repo.listRecords({ repo: alice.did, collection: 'com.example.toomany' })
    expect(list.data.records).toHaveLength(0)
  })

  it('mixes create, update and delete, and honours swapCommit', async () => {
    const seed = await alice.agent.com.atproto.repo.applyWrites({
      repo: alice.did,
      writes: [
        { $type: 'com.atproto.repo.applyWrites#create' as const, collection: 'com.example.mix', rkey: 'a', value: { $type: 'com.example.mix', v: 1 } },
        { $type: 'com.atproto.repo.applyWrites#create' as const, collection: 'com.example.mix', rkey: 'b', value: { $type: 'com.example.mix', v: 1 } },
      ],
    })
    const writes = [
      { $type: 'com.atproto.repo.applyWrites#update' as const, collection: 'com.example.mix', rkey: 'a', value: { $type: 'com.example.mix', v: 2 } },
      { $type: 'com.atproto.repo.applyWrites#delete' as const, collection: 'com.example.mix', rkey: 'b' },
      { $type: 'com.atproto.repo.applyWrites#create' as const, collection: 'com.example.mix', rkey: 'c', value: { $type: 'com.example.mix', v: 3 } },
    ]
    // The head moves on: a batch made against the seed commit is stale.
    await alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: POST, record: post('moves the head') })
    await expectRefusedWrite(
      alice.did,
      () => alice.agent.com.atproto.repo.applyWrites({ repo: alice.did, writes, swapCommit: seed.data.commit!.cid }),
      400,
      'InvalidSwap',
    )
    const current = await head(alice.did)
    const res = await alice.agent.com.atproto.repo.applyWrites({ repo: alice.did, writes, swapCommit: current.cid })
    expect(res.data.results!.map((r) => r.$type)).toEqual([
      'com.atproto.repo.applyWrites#updateResult',
      'com.atproto.repo.applyWrites#deleteResult',
      'com.atproto.repo.applyWrites#createResult',
    ])
    const list = await server.agent().com.atproto.repo.listRecords({ repo: alice.did, collection: 'com.example.mix', reverse: true })
    expect(list.data.records.map((r) => [r.uri.split('/').pop(), (r.value as { v: number }).v])).toEqual([
      ['a', 2],
      ['c', 3],
    ])
  })

  it('writes nothing when one write of the batch is invalid', async () => {
    await expectRefusedWrite(
      alice.did,
      () =>
        alice.agent.com.atproto.repo.applyWrites({
          repo: alice.did,
          writes: [
            { $type: 'com.atproto.repo.applyWrites#create' as const, collection: POST, value: post('fine') },
            { $type: 'com.atproto.repo.applyWrites#create' as const, collection: POST, value: { $type: POST, text: 42 } },
          ],
        }),
      400,
      'InvalidRecord',
    )
  })
})

describe('concurrent writes', () => {
  it('parallel writes to one repo all land, one commit each, in a chain', async () => {
    const carol = await server.createAccount('carol')
    const lastSeq = server.pds.ctx.eventLog.lastSeq()
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        carol.agent.com.atproto.repo.createRecord({ repo: carol.did, collection: 'com.example.par', rkey: `r${i}`, record: { $type: 'com.example.par', i } }),
      ),
    )
    const revs = results.map((r) => r.data.commit!.rev)
    expect(new Set(revs).size).toBe(20)
    expect(server.pds.ctx.eventLog.lastSeq()).toBe(lastSeq + 20)
    const newest = [...revs].sort().pop()
    expect((await head(carol.did)).rev).toBe(newest)
    const list = await server.agent().com.atproto.repo.listRecords({ repo: carol.did, collection: 'com.example.par', limit: 100 })
    expect(list.data.records).toHaveLength(20)
  })

  it('of racing swaps on one record, exactly one wins', async () => {
    const rkey = TID.nextStr()
    const base = await alice.agent.com.atproto.repo.putRecord({ repo: alice.did, collection: POST, rkey, record: post('base') })
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        alice.agent.com.atproto.repo.putRecord({ repo: alice.did, collection: POST, rkey, record: post(`racer ${i}`), swapRecord: base.data.cid }),
      ),
    )
    const won = outcomes.filter((o) => o.status === 'fulfilled')
    expect(won).toHaveLength(1)
    for (const o of outcomes) if (o.status === 'rejected') expect((o.reason as { error: string }).error).toBe('InvalidSwap')
    const got = await server.agent().com.atproto.repo.getRecord({ repo: alice.did, collection: POST, rkey })
    expect(got.data.cid).toBe((won[0] as PromiseFulfilledResult<{ data: { cid: string } }>).value.data.cid)
  })
})

describe('getRecord, listRecords, describeRepo', () => {
  let bob: TestAccount
  beforeAll(async () => {
    bob = await server.createAccount('bob')
    await bob.agent.com.atproto.repo.applyWrites({
      repo: bob.did,
      writes: ['k1', 'k2', 'k3', 'k4', 'k5'].map((rkey) => ({
        $type: 'com.atproto.repo.applyWrites#create' as const,
        collection: 'com.example.list',
        rkey,
        value: { $type: 'com.example.list', rkey },
      })),
    })
  })

  it('getRecord finds by handle or DID, with or without the current CID', async () => {
    const byDid = await server.agent().com.atproto.repo.getRecord({ repo: bob.did, collection: 'com.example.list', rkey: 'k3' })
    const byHandle = await server.agent().com.atproto.repo.getRecord({ repo: bob.handle, collection: 'com.example.list', rkey: 'k3' })
    expect(byHandle.data).toEqual(byDid.data)
    expect(byDid.data).toMatchObject({ uri: `at://${bob.did}/com.example.list/k3`, value: { $type: 'com.example.list', rkey: 'k3' } })
    const withCid = await server.agent().com.atproto.repo.getRecord({ repo: bob.did, collection: 'com.example.list', rkey: 'k3', cid: byDid.data.cid })
    expect(withCid.data.cid).toBe(byDid.data.cid)
    const otherCid = (await server.agent().com.atproto.repo.getRecord({ repo: bob.did, collection: 'com.example.list', rkey: 'k1' })).data.cid!
    await expectXrpcError(
      server.agent().com.atproto.repo.getRecord({ repo: bob.did, collection: 'com.example.list', rkey: 'k3', cid: otherCid }),
      400,
      'RecordNotFound',
    )
    await expectXrpcError(server.agent().com.atproto.repo.getRecord({ repo: bob.did, collection: 'com.example.list', rkey: 'k9' }), 400, 'RecordNotFound')
    await expectXrpcError(
      server.agent().com.atproto.repo.getRecord({ repo: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', collection: 'com.example.list', rkey: 'k1' }),
      400,
      'RepoNotFound',
    )
  })

  it('listRecords pages newest key first, with limit and cursor, and oldest first with reverse', async () => {
    const list = (p: { limit?: number; cursor?: string; reverse?: boolean }) =>
      server.agent().com.atproto.repo.listRecords({ repo: bob.did, collection: 'com.example.list', ...p })
    const keys = (r: Awaited<ReturnType<typeof list>>) => r.data.records.map((x) => x.uri.split('/').pop())

    const all = await list({})
    expect(keys(all)).toEqual(['k5', 'k4', 'k3', 'k2', 'k1'])
    expect(all.data.records[0].value).toEqual({ $type: 'com.example.list', rkey: 'k5' })

    const p1 = await list({ limit: 2 })
    expect(keys(p1)).toEqual(['k5', 'k4'])
    const p2 = await list({ limit: 2, cursor: p1.data.cursor })
    expect(keys(p2)).toEqual(['k3', 'k2'])
    const p3 = await list({ limit: 2, cursor: p2.data.cursor })
    expect(keys(p3)).toEqual(['k1'])
    expect(p3.data.cursor).toBeUndefined()

    const r1 = await list({ limit: 3, reverse: true })
    expect(keys(r1)).toEqual(['k1', 'k2', 'k3'])
    const r2 = await list({ limit: 3, reverse: true, cursor: r1.data.cursor })
    expect(keys(r2)).toEqual(['k4', 'k5'])

    const none = await server.agent().com.atproto.repo.listRecords({ repo: bob.did, collection: 'com.example.empty' })
    expect(none.data.records).toEqual([])
  })

  it('describeRepo names the handle, DID document and collections', async () => {
    const res = await server.agent().com.atproto.repo.describeRepo({ repo: bob.handle })
    expect(res.data.did).toBe(bob.did)
    expect(res.data.handle).toBe(bob.handle)
    expect(res.data.handleIsCorrect).toBe(true)
    expect(res.data.collections).toEqual(['com.example.list'])
    expect((res.data.didDoc as { id: string; alsoKnownAs: string[] }).alsoKnownAs).toEqual([`at://${bob.handle}`])
    await expectXrpcError(server.agent().com.atproto.repo.describeRepo({ repo: 'nobody-here.test' }), 400, 'RepoNotFound')
  })
})

describe('blobs', () => {
  it("a blob the lexicon does not allow there (wrong type, too large) is InvalidRecord, and nothing is written", async () => {
    const video = await alice.agent.uploadBlob(new Uint8Array(2000).fill(7), { encoding: 'video/mp4' })
    const big = await alice.agent.uploadBlob(new Uint8Array(2_000_001).fill(9), { encoding: 'image/jpeg' })
    const before = await head(alice.did)
    for (const blob of [video.data.blob, big.data.blob]) {
      await expectXrpcError(
        alice.agent.com.atproto.repo.createRecord({
          repo: alice.did,
          collection: POST,
          record: { ...post('bad picture'), embed: { $type: 'app.bsky.embed.images', images: [{ image: blob, alt: '' }] } },
        }),
        400,
        'InvalidRecord',
      )
    }
    expect(await head(alice.did)).toEqual(before)
  })

  it('uploadBlob stores the bytes; a record links them; getBlob and listBlobs serve them', async () => {
    const bytes = new Uint8Array(3000).map((_, i) => (i * 31) % 256)
    const uploaded = await alice.agent.uploadBlob(bytes, { encoding: 'image/png' })
    const blob = uploaded.data.blob
    expect(blob.mimeType).toBe('image/png')
    expect(blob.size).toBe(3000)
    const cid = blob.ref.toString()
    expect(cid).toMatch(/^bafkrei/) // raw codec, sha-256

    // Same bytes, same CID.
    const again = await alice.agent.uploadBlob(bytes, { encoding: 'image/png' })
    expect(again.data.blob.ref.toString()).toBe(cid)

    const since = (await head(alice.did)).rev
    const res = await alice.agent.com.atproto.repo.createRecord({
      repo: alice.did,
      collection: POST,
      record: {
        ...post('with a picture'),
        embed: { $type: 'app.bsky.embed.images', images: [{ image: blob, alt: 'a test pattern' }] },
      },
    })
    expect(res.data.validationStatus).toBe('valid')
    const got = await server.agent().com.atproto.repo.getRecord({ repo: alice.did, collection: POST, rkey: res.data.uri.split('/').pop()! })
    const image = (got.data.value as any).embed.images[0].image // the agent hands blobs back as BlobRefs
    expect({ ref: image.ref.toString(), mimeType: image.mimeType, size: image.size }).toEqual({ ref: cid, mimeType: 'image/png', size: 3000 })
    const raw = (await (await fetch(`${server.url}/xrpc/com.atproto.repo.getRecord?repo=${alice.did}&collection=${POST}&rkey=${res.data.uri.split('/').pop()}`)).json()) as any
    expect(raw.value.embed.images[0].image).toEqual({ $type: 'blob', ref: { $link: cid }, mimeType: 'image/png', size: 3000 })

    const served = await server.agent().com.atproto.sync.getBlob({ did: alice.did, cid })
    expect(served.headers['content-type']).toBe('image/png')
    expect(Buffer.from(served.data).equals(Buffer.from(bytes))).toBe(true)

    // An upload no record uses is not listed (it will be collected).
    const loose = await alice.agent.uploadBlob(new Uint8Array([9, 9, 9]), { encoding: 'image/png' })
    const listed = await server.agent().com.atproto.sync.listBlobs({ did: alice.did })
    expect(listed.data.cids).toContain(cid)
    expect(listed.data.cids).not.toContain(loose.data.blob.ref.toString())
    const listedSince = await server.agent().com.atproto.sync.listBlobs({ did: alice.did, since })
    expect(listedSince.data.cids).toEqual([cid])
    const listedAfter = await server.agent().com.atproto.sync.listBlobs({ did: alice.did, since: res.data.commit!.rev })
    expect(listedAfter.data.cids).toEqual([])

    // The bytes sit in the data folder under their CID, readable by the server's user only.
    const file = path.join(server.dataDir, 'blobs', alice.did.replace(/:/g, '_'), cid)
    expect(fs.readFileSync(file).equals(Buffer.from(bytes))).toBe(true)
    expect(fs.statSync(file).mode & 0o077).toBe(0)

    // The link follows the record: gone with it.
    await alice.agent.com.atproto.repo.deleteRecord({ repo: alice.did, collection: POST, rkey: res.data.uri.split('/').pop()! })
    expect((await server.agent().com.atproto.sync.listBlobs({ did: alice.did })).data.cids).not.toContain(cid)
  })

  it('refuses a record pointing at a blob that was never uploaded, or that lies about it', async () => {
    const real = await alice.agent.uploadBlob(new Uint8Array([1, 2, 3, 4]), { encoding: 'image/jpeg' })
    const fake = { $type: 'blob', ref: { $link: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy' }, mimeType: 'image/jpeg', size: 4 }
    const withImage = (image: unknown) => () =>
      alice.agent.com.atproto.repo.createRecord({
        repo: alice.did,
        collection: POST,
        record: { ...post('broken picture'), embed: { $type: 'app.bsky.embed.images', images: [{ image, alt: '' }] } },
      })
    await expectRefusedWrite(alice.did, withImage(fake), 400, 'BlobNotFound')
    const lying = { $type: 'blob', ref: { $link: real.data.blob.ref.toString() }, mimeType: 'image/jpeg', size: 999 }
    await expectRefusedWrite(alice.did, withImage(lying), 400, 'InvalidRequest')
    await expectXrpcError(
      server.agent().com.atproto.sync.getBlob({ did: alice.did, cid: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy' }),
      400,
      'BlobNotFound',
    )
  })

  it('uploadBlob needs a session', async () => {
    await expectXrpcError(server.agent().uploadBlob(new Uint8Array([1]), { encoding: 'image/png' }), 401, 'AuthenticationRequired')
  })
})

describe('validation', () => {
  const create = (collection: string, record: Record<string, unknown>, validate?: boolean) =>
    alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection, record, ...(validate === undefined ? {} : { validate }) })

  it('a known lexicon: valid when checked (unset or true), no status when validate is false', async () => {
    expect((await create(POST, post('unset'))).data.validationStatus).toBe('valid')
    expect((await create(POST, post('true'), true)).data.validationStatus).toBe('valid')
    expect((await create(POST, post('false'), false)).data.validationStatus).toBeUndefined()
  })

  it("an unknown lexicon: 'unknown' when unset, no status when false, InvalidRecord when validate is true", async () => {
    const thing = { $type: 'com.example.thing', anything: 'goes' }
    expect((await create('com.example.thing', thing)).data.validationStatus).toBe('unknown')
    expect((await create('com.example.thing', thing, false)).data.validationStatus).toBeUndefined()
    await expectRefusedWrite(alice.did, () => create('com.example.thing', thing, true), 400, 'InvalidRecord')
  })

  it('an invalid app.bsky.feed.post is InvalidRecord and nothing is written', async () => {
    const before = await server.agent().com.atproto.repo.listRecords({ repo: alice.did, collection: POST, limit: 100 })
    await expectRefusedWrite(alice.did, () => create(POST, { $type: POST, text: 42, createdAt: new Date().toISOString() }), 400, 'InvalidRecord')
    await expectRefusedWrite(alice.did, () => create(POST, { $type: POST, text: 'no date' }), 400, 'InvalidRecord')
    await expectRefusedWrite(alice.did, () => create(POST, { $type: POST, text: 'bad date', createdAt: 'yesterday' }), 400, 'InvalidRecord')
    await expectRefusedWrite(alice.did, () => create(POST, { $type: POST, text: 'x'.repeat(3001), createdAt: new Date().toISOString() }), 400, 'InvalidRecord')
    await expectRefusedWrite(alice.did, () => create(POST, { $type: 'app.bsky.feed.like', text: 'wrong type', createdAt: new Date().toISOString() }), 400, 'InvalidRecord')
    await expectRefusedWrite(alice.did, () => create(POST, { text: 'no type', createdAt: new Date().toISOString() }), 400, 'InvalidRecord')
    await expectRefusedWrite(alice.did, () => create(POST, { $type: POST, text: 'a float', n: 1.5, createdAt: new Date().toISOString() }), 400, 'InvalidRecord')
    // A post's key must be a TID.
    await expectRefusedWrite(
      alice.did,
      () => alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: POST, rkey: 'not-a-tid', record: post('bad key') }),
      400,
      'InvalidRecord',
    )
    // The same invalid post is stored as asked when validation is off.
    const unchecked = await create(POST, { $type: POST, text: 42, createdAt: new Date().toISOString() }, false)
    expect(unchecked.data.validationStatus).toBeUndefined()
    const after = await server.agent().com.atproto.repo.listRecords({ repo: alice.did, collection: POST, limit: 100 })
    expect(after.data.records.length).toBe(before.data.records.length + 1)
  })
})

/**
 * A relay's view: @atproto/sync's Firehose, resolving keys through the test
 * PLC directory, verifies every commit's signature and MST proofs, while a
 * second subscriber checks the sync v1.1 commit chain of the same stream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IdResolver } from '@atproto/identity'
import { Firehose, type Event as SyncEvent } from '@atproto/sync'
import { AtpAgent } from '@atproto/api'
import { TID } from '@atproto/common'
import { startTestServer, type TestServer } from '../helpers/test-server.js'
import { CommitChainChecker, StreamReader, eventually } from './stream-reader.js'

const post = (text: string) => ({ $type: 'app.bsky.feed.post', text, createdAt: new Date().toISOString() })

describe('the firehose as a relay verifies it', () => {
  let server: TestServer
  let firehose: Firehose
  let reader: StreamReader
  const received: SyncEvent[] = []
  const errors: Error[] = []

  beforeAll(async () => {
    server = await startTestServer()
    const idResolver = new IdResolver({ plcUrl: server.plcUrl })
    // Handles live under .test, which DNS and HTTPS cannot reach: ask the server that serves them.
    const resolver = new AtpAgent({ service: server.url })
    idResolver.handle.resolve = async (handle: string) => {
      try {
        return (await resolver.com.atproto.identity.resolveHandle({ handle })).data.did
      } catch {
        return undefined
      }
    }
    firehose = new Firehose({
      service: server.url.replace(/^http/, 'ws'),
      idResolver,
      handleEvent: async (evt) => {
        received.push(evt)
      },
      onError: (err) => errors.push(err),
    })
    void firehose.start()
    reader = await StreamReader.open(server.url)
    await eventually(() => server.pds.ctx.firehose.stats().live === 2, 'both subscribers to be live')
  })

  afterAll(async () => {
    await firehose?.destroy()
    reader?.close()
    await server?.close({ removeData: true })
  })

  it('delivers every event, verified and in order', async () => {
    const alice = await server.createAccount('alice')
    const bob = await server.createAccount('bob')
    const repo = alice.agent.com.atproto.repo

    const a = await repo.createRecord({ repo: alice.did, collection: 'app.bsky.feed.post', record: post('one') })
    const b = await repo.createRecord({ repo: alice.did, collection: 'app.bsky.feed.post', record: post('two') })
    await bob.agent.com.atproto.repo.createRecord({ repo: bob.did, collection: 'app.bsky.feed.post', record: post('bob') })
    const rkeyA = a.data.uri.split('/').pop()!
    const rkeyB = b.data.uri.split('/').pop()!
    const [batch1, batch2] = [TID.nextStr(), TID.nextStr()]
    await repo.putRecord({ repo: alice.did, collection: 'app.bsky.feed.post', rkey: rkeyA, record: post('one, edited') })
    await repo.deleteRecord({ repo: alice.did, collection: 'app.bsky.feed.post', rkey: rkeyB })
    await repo.applyWrites({
      repo: alice.did,
      writes: [
        { $type: 'com.atproto.repo.applyWrites#create', collection: 'app.bsky.feed.post', rkey: batch1, value: post('b1') },
        { $type: 'com.atproto.repo.applyWrites#create', collection: 'app.bsky.feed.like', rkey: batch2, value: { $type: 'app.bsky.feed.like', subject: { uri: a.data.uri, cid: a.data.cid }, createdAt: new Date().toISOString() } },
        { $type: 'com.atproto.repo.applyWrites#update', collection: 'app.bsky.feed.post', rkey: rkeyA, value: post('one, edited twice') },
      ],
    })
    await repo.applyWrites({
      repo: alice.did,
      writes: [
        { $type: 'com.atproto.repo.applyWrites#delete', collection: 'app.bsky.feed.post', rkey: batch1 },
        { $type: 'com.atproto.repo.applyWrites#delete', collection: 'app.bsky.feed.like', rkey: batch2 },
      ],
    })
    const newHandle = `alice-renamed${Date.now().toString(36).slice(-4)}.test`
    await alice.agent.com.atproto.identity.updateHandle({ handle: newHandle })
    await alice.agent.com.atproto.server.deactivateAccount({})
    await alice.agent.com.atproto.server.activateAccount()
    await repo.createRecord({ repo: alice.did, collection: 'app.bsky.feed.post', record: post('back again') })

    const lastSeq = server.pds.ctx.eventLog.lastSeq()
    await reader.untilSeq(lastSeq)

    // The raw stream: contiguous seqs, standard frames, a sound commit chain.
    const seqs = reader.seqs()
    expect(seqs).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1))
    const chain = new CommitChainChecker(new IdResolver({ plcUrl: server.plcUrl }))
    const ops: string[] = []
    for (const f of reader.frames) {
      expect(f.op).toBe(1)
      expect(['#commit', '#identity', '#account', '#sync']).toContain(f.t)
      expect(typeof f.body.time).toBe('string')
      if (f.t === '#commit') {
        // The deprecated blobs list is to be empty (the lexicon says so; checkers flag it otherwise).
        expect(f.body.blobs).toEqual([])
        await chain.check(f.body)
        for (const op of f.body.ops) ops.push(`${f.body.seq} ${op.action} ${f.body.repo}/${op.path}`)
      }
    }
    expect(chain.checked).toBe(reader.frames.filter((f) => f.t === '#commit').length)

    // What the verifying Firehose handed on: every op, every identity and account event, in order.
    await eventually(() => received.length > 0 && received[received.length - 1].seq === lastSeq, 'the Firehose to reach the last seq')
    expect(errors).toEqual([])
    const verifiedOps = received
      .filter((e) => e.event === 'create' || e.event === 'update' || e.event === 'delete')
      .map((e) => `${e.seq} ${e.event} ${e.did}/${(e as { collection: string }).collection}/${(e as { rkey: string }).rkey}`)
    expect(verifiedOps).toEqual(ops)
    const order = received.map((e) => e.seq)
    expect(order).toEqual([...order].sort((x, y) => x - y))

    const aliceEvents = received.filter((e) => e.did === alice.did && (e.event === 'identity' || e.event === 'account'))
    expect(aliceEvents.map((e) => (e.event === 'account' ? `account ${e.active} ${e.status ?? ''}` : `identity ${(e as { handle?: string }).handle}`))).toEqual([
      `identity ${alice.handle}`,
      'account true ',
      `identity ${newHandle}`,
      'account false deactivated',
      // Re-activation: #identity, #account, then #sync with the head as it is.
      `identity ${newHandle}`,
      'account true ',
    ])
    const aliceSeq = received.filter((e) => e.did === alice.did && ['identity', 'account', 'sync'].includes(e.event)).map((e) => e.event)
    // Creation: #identity, #account, #sync; the handle change; deactivation; re-activation.
    expect(aliceSeq).toEqual(['identity', 'account', 'sync', 'identity', 'account', 'identity', 'account', 'sync'])
    const syncs = received.filter((e) => e.did === alice.did && e.event === 'sync') as { rev: string }[]
    const { data: head } = await alice.agent.com.atproto.sync.getLatestCommit({ did: alice.did })
    const backAgain = received.filter((e) => e.did === alice.did && e.event === 'create').pop()!
    expect(syncs[1].rev < head.rev && head.rev === (backAgain as { rev: string }).rev).toBe(true)
    const creates = received.filter((e) => e.event === 'create' && e.did === alice.did)
    expect(creates.map((e) => (e as { record: { text?: string } }).record.text)).toEqual(['one', 'two', 'b1', undefined, 'back again'])
  })

  it('follows a signing-key rotation: #identity, #sync, then commits that verify with the new key', async () => {
    const { ControlClient } = await import('../../src/control/control-client.js')
    const carol = await server.createAccount('carol')
    const repo = carol.agent.com.atproto.repo
    await repo.createRecord({ repo: carol.did, collection: 'app.bsky.feed.post', record: post('old key') })
    const rotated = await new ControlClient(server.pds.controlSocket!).json<{ rev: string }>('POST', `/accounts/${carol.did}/rotate-key`)
    await repo.createRecord({ repo: carol.did, collection: 'app.bsky.feed.post', record: post('new key') })
    const lastSeq = server.pds.ctx.eventLog.lastSeq()
    await eventually(() => received.length > 0 && received[received.length - 1].seq === lastSeq, 'the Firehose to reach the last seq')
    expect(errors).toEqual([])
    const carolEvents = received.filter((e) => e.did === carol.did).map((e) => (e.event === 'create' ? `create ${(e as { record: { text?: string } }).record.text}` : e.event))
    expect(carolEvents).toEqual(['identity', 'account', 'sync', 'create old key', 'identity', 'sync', 'create new key'])
    expect((received.filter((e) => e.did === carol.did && e.event === 'sync').pop() as { rev: string }).rev).toBe(rotated.rev)
  })
  it('applyWrites with several writes to one path applies them in order, in a commit the verifying Firehose accepts', async () => {
    const dave = await server.createAccount('dave')
    const repo = dave.agent.com.atproto.repo
    const POST = 'app.bsky.feed.post'
    const kept = await repo.createRecord({ repo: dave.did, collection: POST, record: post('kept') })
    const keptRkey = kept.data.uri.split('/').pop()!
    const [gone, twice] = [TID.nextStr(), TID.nextStr()]
    const res = await repo.applyWrites({
      repo: dave.did,
      writes: [
        // Created and deleted in one call (a PDS checker does exactly this): no net change.
        { $type: 'com.atproto.repo.applyWrites#create', collection: POST, rkey: gone, value: post('here and gone') },
        { $type: 'com.atproto.repo.applyWrites#delete', collection: POST, rkey: gone },
        // Created, then updated: the update wins.
        { $type: 'com.atproto.repo.applyWrites#create', collection: POST, rkey: twice, value: post('first') },
        { $type: 'com.atproto.repo.applyWrites#update', collection: POST, rkey: twice, value: post('second') },
        // Updated twice, then deleted and made again.
        { $type: 'com.atproto.repo.applyWrites#update', collection: POST, rkey: keptRkey, value: post('kept, edited') },
        { $type: 'com.atproto.repo.applyWrites#delete', collection: POST, rkey: keptRkey },
        { $type: 'com.atproto.repo.applyWrites#create', collection: POST, rkey: keptRkey, value: post('kept, remade') },
      ],
    })
    expect(res.data.results).toHaveLength(7)
    await expect(repo.getRecord({ repo: dave.did, collection: POST, rkey: gone })).rejects.toMatchObject({ error: 'RecordNotFound' })
    expect((await repo.getRecord({ repo: dave.did, collection: POST, rkey: twice })).data.value).toMatchObject({ text: 'second' })
    expect((await repo.getRecord({ repo: dave.did, collection: POST, rkey: keptRkey })).data.value).toMatchObject({ text: 'kept, remade' })
    // Still refused: a delete of a record that is not there, even after other writes.
    await expect(
      repo.applyWrites({
        repo: dave.did,
        writes: [
          { $type: 'com.atproto.repo.applyWrites#delete', collection: POST, rkey: twice },
          { $type: 'com.atproto.repo.applyWrites#delete', collection: POST, rkey: twice },
        ],
      }),
    ).rejects.toMatchObject({ status: 400 })

    const lastSeq = server.pds.ctx.eventLog.lastSeq()
    await eventually(() => received.length > 0 && received[received.length - 1].seq === lastSeq, 'the Firehose to reach the last seq')
    expect(errors).toEqual([])
    const batch = received.filter((e) => e.did === dave.did && e.seq === lastSeq)
    expect(batch.map((e) => `${e.event} ${(e as { rkey: string }).rkey}`)).toEqual([`create ${twice}`, `update ${keptRkey}`])
    // The whole repository still verifies.
    const { verifyRepoCar } = await import('@atproto/repo')
    const car = await dave.agent.com.atproto.sync.getRepo({ did: dave.did })
    const verified = await verifyRepoCar(car.data, dave.did)
    expect(verified.creates.map((c) => c.rkey).sort()).toEqual([keptRkey, twice].sort())
  })
})

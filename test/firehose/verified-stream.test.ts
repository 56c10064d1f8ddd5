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
      // #sync: activateAccount re-announces the repository's head (as the reference does).
      expect(['#commit', '#identity', '#account', '#sync']).toContain(f.t)
      expect(typeof f.body.time).toBe('string')
      if (f.t === '#commit') {
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
      // Activation announces the identity, the status and the repo head (#sync) again.
      `identity ${newHandle}`,
      'account true ',
    ])
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
    expect(carolEvents).toEqual(['identity', 'account', 'create old key', 'identity', 'sync', 'create new key'])
    expect((received.find((e) => e.did === carol.did && e.event === 'sync') as { rev: string }).rev).toBe(rotated.rev)
  })
})

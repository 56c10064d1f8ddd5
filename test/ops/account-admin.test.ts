/**
 * Account administration through the control socket: takedown (the repo stops being served, the
 * account's sessions stop, relays hear #account with status takendown, and
 * activation brings it back) and signing-key rotation (a #sync that verifies).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeAll } from '@atproto/lex-cbor'
import { ControlClient } from '../../src/control/control-client.js'
import { startTestServer, type TestServer } from '../helpers/test-server.js'
import { expectXrpcError } from '../e2e/xrpc-expect.js'

let server: TestServer
let control: ControlClient

beforeAll(async () => {
  server = await startTestServer()
  control = new ControlClient(server.pds.controlSocket!)
})
afterAll(() => server.close({ removeData: true }))

/** The #account events of `did` in the event log, decoded. */
function accountEvents(did: string) {
  const rows = server.pds.ctx.db
    .prepare(`SELECT frame FROM repo_seq WHERE did = ? AND event_type = '#account' ORDER BY seq`)
    .all(did) as { frame: Uint8Array }[]
  return rows.map((r) => [...decodeAll(r.frame)][1] as { active: boolean; status?: string })
}

describe('takedown', () => {
  it('stops serving the repo and the sessions, tells relays, and activation undoes it', async () => {
    const alice = await server.createAccount('taken')
    await alice.agent.com.atproto.repo.createRecord({
      repo: alice.did,
      collection: 'app.bsky.feed.post',
      record: { $type: 'app.bsky.feed.post', text: 'before', createdAt: new Date().toISOString() },
    })

    const down = await control.json<{ status: string }>('POST', `/accounts/${alice.did}/takedown`)
    expect(down.status).toBe('takendown')
    expect(accountEvents(alice.did).at(-1)).toEqual(expect.objectContaining({ active: false, status: 'takendown' }))
    await expectXrpcError(server.agent().com.atproto.sync.getRepo({ did: alice.did }), 400, 'RepoTakendown')
    await expectXrpcError(alice.agent.com.atproto.server.getSession(), 401, 'AccountTakedown')
    const status = await server.agent().com.atproto.sync.getRepoStatus({ did: alice.did })
    expect(status.data).toMatchObject({ active: false, status: 'takendown' })

    const up = await control.json<{ status: string }>('POST', `/accounts/${alice.did}/activate`)
    expect(up.status).toBe('active')
    expect(accountEvents(alice.did).at(-1)).toEqual(expect.objectContaining({ active: true }))
    const repo = await server.agent().com.atproto.sync.getRepo({ did: alice.did })
    expect(repo.data.length).toBeGreaterThan(0)
  })
})

describe('signing key rotation', () => {
  it('names the new key in the DID document, re-signs the repo (#identity then #sync), and later writes verify with it', async () => {
    const { IdResolver } = await import('@atproto/identity')
    const { verifyRepoCar } = await import('@atproto/repo')
    const bob = await server.createAccount('rotating')
    await bob.agent.com.atproto.repo.createRecord({
      repo: bob.did,
      collection: 'app.bsky.feed.post',
      record: { $type: 'app.bsky.feed.post', text: 'one', createdAt: new Date().toISOString() },
    })
    const resolver = new IdResolver({ plcUrl: server.plcUrl })
    const oldKey = await resolver.did.resolveAtprotoKey(bob.did, true)
    const before = server.pds.ctx.eventLog.lastSeq()

    const rotated = await control.json<{ signingKey: string; rev: string }>('POST', `/accounts/${bob.did}/rotate-key`)
    const newKey = await resolver.did.resolveAtprotoKey(bob.did, true)
    expect(newKey).toBe(rotated.signingKey)
    expect(newKey).not.toBe(oldKey)

    const events = server.pds.ctx.db
      .prepare('SELECT event_type, frame FROM repo_seq WHERE did = ? AND seq > ? ORDER BY seq')
      .all(bob.did, before) as { event_type: string; frame: Uint8Array }[]
    expect(events.map((e) => e.event_type)).toEqual(['#identity', '#sync'])
    expect(([...decodeAll(events[1].frame)][1] as { rev: string }).rev).toBe(rotated.rev)

    const car = (await server.agent().com.atproto.sync.getRepo({ did: bob.did })).data
    const verified = await verifyRepoCar(car, bob.did, newKey)
    expect(verified.commit.rev).toBe(rotated.rev)
    await expect(verifyRepoCar(car, bob.did, oldKey)).rejects.toThrow()

    // Writes go on, signed with the new key.
    await bob.agent.com.atproto.repo.createRecord({
      repo: bob.did,
      collection: 'app.bsky.feed.post',
      record: { $type: 'app.bsky.feed.post', text: 'two', createdAt: new Date().toISOString() },
    })
    const after = await verifyRepoCar((await server.agent().com.atproto.sync.getRepo({ did: bob.did })).data, bob.did, newKey)
    expect(after.creates.length).toBe(2)
  })
})

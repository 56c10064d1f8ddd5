/**
 * Takedown through the control socket: the repo stops being served, the
 * account's sessions stop, relays hear #account with status takendown, and
 * activation brings it back.
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

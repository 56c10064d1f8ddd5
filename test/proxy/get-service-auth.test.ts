/**
 * com.atproto.server.getServiceAuth end to end: the token it hands out is
 * signed with the account's key (checked by @atproto/xrpc-server's own
 * verifier, resolving the key from the real PLC directory), carries the
 * asked aud/lxm/exp, and the reference PDS's limits hold: exp not past, at
 * most an hour ahead, a minute without lxm; never for a protected method;
 * chat and createAccount only with full access.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AtpAgent } from '@atproto/api'
import { IdResolver } from '@atproto/identity'
import { verifyJwt } from '@atproto/xrpc-server'
import { startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'
import { expectXrpcError } from '../e2e/xrpc-expect.js'

let server: TestServer
let alice: TestAccount
let idResolver: IdResolver
// The lexicon's aud is a plain DID (a service id fragment is for proxied calls).
const AUD = 'did:web:appview.example'

beforeAll(async () => {
  server = await startTestServer()
  alice = await server.createAccount('alice')
  idResolver = new IdResolver({ plcUrl: server.plcUrl })
})
afterAll(() => server?.close({ removeData: true }))

const nowSec = () => Math.floor(Date.now() / 1000)
const getKey = (iss: string, forceRefresh: boolean) => idResolver.did.resolveAtprotoKey(iss, forceRefresh)

async function appPasswordAgent(privileged: boolean): Promise<AtpAgent> {
  const { data } = await alice.agent.com.atproto.server.createAppPassword({ name: `app-${privileged}-${Math.random()}`, privileged })
  const agent = server.agent()
  await agent.login({ identifier: alice.handle, password: data.password })
  return agent
}

describe('getServiceAuth', () => {
  it('returns a token for the account, signed with its key, for the asked aud and lxm', async () => {
    const lxm = 'app.bsky.feed.getTimeline'
    const { data } = await alice.agent.com.atproto.server.getServiceAuth({ aud: AUD, lxm })
    const payload = await verifyJwt(data.token, AUD, lxm, getKey)
    expect(payload.iss).toBe(alice.did)
    expect(payload.aud).toBe(AUD)
    expect(payload.lxm).toBe(lxm)
    expect(payload.exp).toBeGreaterThan(nowSec())
    expect(payload.exp).toBeLessThanOrEqual(nowSec() + 61)
    const header = JSON.parse(Buffer.from(data.token.split('.')[0], 'base64url').toString())
    expect(header).toEqual({ typ: 'JWT', alg: 'ES256K' })
  })

  it('tokens differ (a fresh jti each time), and a requested exp is kept', async () => {
    const exp = nowSec() + 30 * 60
    const a = await alice.agent.com.atproto.server.getServiceAuth({ aud: AUD, lxm: 'app.bsky.actor.getProfile', exp })
    const b = await alice.agent.com.atproto.server.getServiceAuth({ aud: AUD, lxm: 'app.bsky.actor.getProfile', exp })
    const pa = await verifyJwt(a.data.token, AUD, 'app.bsky.actor.getProfile', getKey)
    const pb = await verifyJwt(b.data.token, AUD, 'app.bsky.actor.getProfile', getKey)
    expect(pa.exp).toBe(exp)
    expect(pa.jti).not.toBe(pb.jti)
  })

  it('a token without lxm is allowed for at most a minute', async () => {
    const { data } = await alice.agent.com.atproto.server.getServiceAuth({ aud: AUD })
    const payload = await verifyJwt(data.token, AUD, null, getKey)
    expect(payload.lxm).toBeUndefined()
    await expectXrpcError(alice.agent.com.atproto.server.getServiceAuth({ aud: AUD, exp: nowSec() + 120 }), 400, 'BadExpiration')
  })

  it('refuses an exp in the past or more than an hour ahead', async () => {
    const lxm = 'app.bsky.feed.getTimeline'
    await expectXrpcError(alice.agent.com.atproto.server.getServiceAuth({ aud: AUD, lxm, exp: nowSec() - 10 }), 400, 'BadExpiration')
    await expectXrpcError(alice.agent.com.atproto.server.getServiceAuth({ aud: AUD, lxm, exp: nowSec() + 3600 + 60 }), 400, 'BadExpiration')
  })

  it('never gives a token for a protected method, whatever the credentials', async () => {
    for (const lxm of ['com.atproto.server.createAppPassword', 'com.atproto.identity.updateHandle', 'com.atproto.server.getSession', 'com.atproto.identity.signPlcOperation']) {
      await expectXrpcError(alice.agent.com.atproto.server.getServiceAuth({ aud: AUD, lxm }), 400, 'InvalidRequest')
    }
  })

  it('an app password without the chat privilege gets no token for chat or createAccount; a privileged one does', async () => {
    const plain = await appPasswordAgent(false)
    await expectXrpcError(plain.com.atproto.server.getServiceAuth({ aud: 'did:web:chat.example', lxm: 'chat.bsky.convo.listConvos' }), 403, 'InvalidToken')
    await expectXrpcError(plain.com.atproto.server.getServiceAuth({ aud: 'did:web:pds.example', lxm: 'com.atproto.server.createAccount' }), 403, 'InvalidToken')
    // Ordinary methods are fine with any app password.
    const ok = await plain.com.atproto.server.getServiceAuth({ aud: AUD, lxm: 'app.bsky.feed.getTimeline' })
    expect((await verifyJwt(ok.data.token, AUD, 'app.bsky.feed.getTimeline', getKey)).iss).toBe(alice.did)

    const privileged = await appPasswordAgent(true)
    const chat = await privileged.com.atproto.server.getServiceAuth({ aud: 'did:web:chat.example', lxm: 'chat.bsky.convo.listConvos' })
    expect((await verifyJwt(chat.data.token, 'did:web:chat.example', 'chat.bsky.convo.listConvos', getKey)).iss).toBe(alice.did)
  })

  it('needs a session, and a well-formed aud', async () => {
    await expectXrpcError(server.agent().com.atproto.server.getServiceAuth({ aud: AUD }), 401, 'AuthenticationRequired')
    await expectXrpcError(alice.agent.com.atproto.server.getServiceAuth({ aud: 'not a did' }), 400, 'InvalidRequest')
  })
})

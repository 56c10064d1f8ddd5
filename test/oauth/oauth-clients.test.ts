/**
 * Kinds of clients: a confidential client authenticating with
 * private_key_jwt (the official client with a keyset; and a hand-made one
 * with a wrong key or a replayed assertion), and a trusted first-party
 * frontend named in HEARTH_OAUTH_TRUSTED_CLIENTS, which skips the consent
 * page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SignJWT, exportJWK, generateKeyPair } from 'jose'
import { Agent } from '@atproto/api'
import { JoseKey, NodeOAuthClient, type NodeSavedSession, type NodeSavedState } from '@atproto/oauth-client-node'
import type { TestAccount } from '../helpers/test-server.js'
import { startOAuthRig, type OAuthRig } from './oauth-rig.js'
import { RawOAuthClient } from './raw-oauth-client.js'

function memoryStore<T>() {
  const m = new Map<string, T>()
  return { set: async (k: string, v: T) => void m.set(k, v), get: async (k: string) => m.get(k), del: async (k: string) => void m.delete(k) }
}

const TRUSTED = 'https://frontend.apps.test/oauth-client-metadata.json'

describe('confidential and trusted OAuth clients', () => {
  let rig: OAuthRig
  let alice: TestAccount

  beforeAll(async () => {
    rig = await startOAuthRig({ env: { HEARTH_OAUTH_TRUSTED_CLIENTS: TRUSTED } })
    alice = await rig.server.createAccount('alice')
  })
  afterAll(async () => {
    await rig?.close()
  })

  it('the official client with private_key_jwt authenticates at the token endpoint and posts', async () => {
    const key = await JoseKey.generate(['ES256'], 'conf-key-1')
    const app = rig.registerApp('confidential', {
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [key.publicJwk] },
    })
    const client = new NodeOAuthClient({
      clientMetadata: app.metadata as never,
      keyset: [key],
      stateStore: memoryStore<NodeSavedState>(),
      sessionStore: memoryStore<NodeSavedSession>(),
      handleResolver: rig.server.url,
      plcDirectoryUrl: rig.server.plcUrl,
      allowHttp: true,
    })
    const url = await client.authorize(alice.handle, { scope: 'atproto transition:generic' })
    // The person approves on Hearth's page (over HTTP here; the browser flow has its own test).
    const person = await RawOAuthClient.create(rig.server.url, app)
    await person.signIn(alice.handle, alice.password)
    const { location } = await person.authorize(url.searchParams.get('request_uri')!)
    const { session } = await client.callback(location.searchParams)
    expect(session.did).toBe(alice.did)
    const stored = rig.server.pds.ctx.oauth.sessionsOf(alice.did).find((s) => s.clientId === app.clientId)
    expect(stored?.clientAuth).toBe('private_key_jwt:conf-key-1')
    const agent = new Agent(session)
    const created = await agent.com.atproto.repo.createRecord({
      repo: alice.did,
      collection: 'app.bsky.feed.post',
      record: { $type: 'app.bsky.feed.post', text: 'from a confidential client', createdAt: new Date().toISOString() },
    })
    expect(created.data.uri).toContain(alice.did)
    // Refreshing goes through the token endpoint with a new assertion.
    await session.getTokenInfo('auto')
    await session.getTokenInfo(true)
    expect((await agent.com.atproto.server.getSession()).data.did).toBe(alice.did)
  })

  it('a private_key_jwt client with a wrong key, a replayed assertion, or none is invalid_client', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }
    const app = rig.registerApp('confidential2', { token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256', jwks: { keys: [jwk] } })
    const c = await RawOAuthClient.create(rig.server.url, app)
    const assertion = (key = privateKey, jti = crypto.randomUUID()) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(app.clientId)
        .setSubject(app.clientId)
        .setAudience(rig.server.url)
        .setJti(jti)
        .setIssuedAt()
        .setExpirationTime('1m')
        .sign(key)
    const auth = (a: string) => ({ client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: a })
    expect((await c.par({ scope: 'atproto' })).body.error).toBe('invalid_client')
    const stranger = (await generateKeyPair('ES256')).privateKey
    const wrong = await c.par({ scope: 'atproto', ...auth(await assertion(stranger)) })
    expect([wrong.status, wrong.body.error]).toEqual([401, 'invalid_client'])
    const once = await assertion()
    expect((await c.par({ scope: 'atproto', ...auth(once) })).status).toBe(201)
    expect((await c.par({ scope: 'atproto', ...auth(once) })).body.error).toBe('invalid_client')

    // The whole flow with assertions; then the token endpoint refuses a public-client exchange for this client.
    c.clientAuth = async () => auth(await assertion())
    await c.signIn(alice.handle, alice.password)
    const tokens = await c.fullFlow('atproto')
    expect(tokens.sub).toBe(alice.did)
    c.clientAuth = async () => ({})
    expect((await c.refresh(tokens.refresh_token)).body.error).toBe('invalid_client')
  })

  it('a trusted first-party client gets its code without the consent page', async () => {
    const app = rig.registerApp('frontend')
    expect(app.clientId).toBe(TRUSTED)
    const c = await RawOAuthClient.create(rig.server.url, app)
    await c.signIn(alice.handle, alice.password)
    const par = await c.par({ scope: 'atproto transition:generic' })
    const { location, consentShown } = await c.authorize(par.body.request_uri)
    expect(consentShown).toBe(false)
    const tokens = await c.exchange(location.searchParams.get('code')!, par.pkce.verifier)
    expect(tokens.status).toBe(200)
    // An untrusted client asking the same is shown the page.
    const other = await RawOAuthClient.create(rig.server.url, rig.registerApp('thirdparty'))
    await other.signIn(alice.handle, alice.password)
    expect((await other.authorize((await other.par({ scope: 'atproto' })).body.request_uri)).consentShown).toBe(true)
  })
})

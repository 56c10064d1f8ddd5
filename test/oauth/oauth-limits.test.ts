/**
 * The OAuth endpoints' own rate limit per client address (answered the
 * OAuth way, 429 with Retry-After, other addresses untouched), and the
 * memory of used DPoP proofs surviving a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestAccount } from '../helpers/test-server.js'
import { startOAuthRig, type OAuthRig } from './oauth-rig.js'
import { RawOAuthClient } from './raw-oauth-client.js'

describe('OAuth rate limits per client address', () => {
  let rig: OAuthRig

  beforeAll(async () => {
    // The proxy's X-Forwarded-For names the client: two "addresses" from one test.
    rig = await startOAuthRig({ env: { HEARTH_RATE_LIMITS: 'on', HEARTH_TRUST_PROXY: 'true', HEARTH_RATE_OAUTH_PER_IP: '4' } })
  })
  afterAll(async () => {
    await rig?.close()
  })

  const post = (path: string, from: string, form: Record<string, string> = {}) =>
    fetch(`${rig.server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': from }, body: new URLSearchParams(form) })

  it('PAR, token, revoke and the authorization page share one budget; past it 429 in OAuth shape; another address is unaffected', async () => {
    const app = rig.registerApp('limited')
    const answers = [
      await post('/oauth/par', '203.0.113.7', { client_id: app.clientId }),
      await post('/oauth/token', '203.0.113.7', { client_id: app.clientId, grant_type: 'refresh_token' }),
      await post('/oauth/revoke', '203.0.113.7', { token: 'nothing' }),
      await fetch(`${rig.server.url}/oauth/authorize?client_id=x&request_uri=y`, { headers: { 'x-forwarded-for': '203.0.113.7' }, redirect: 'manual' }),
    ]
    expect(answers.map((r) => r.status)).not.toContain(429)
    for (const path of ['/oauth/par', '/oauth/token', '/oauth/revoke']) {
      const refused = await post(path, '203.0.113.7', { client_id: app.clientId })
      expect(refused.status).toBe(429)
      const body = await refused.json()
      expect(body.error).toBe('rate_limited')
      expect(body.error_description).toMatch(/try again in \d+ seconds/)
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(refused.headers.get('ratelimit-limit')).toBe('4')
    }
    const page = await fetch(`${rig.server.url}/oauth/authorize?client_id=x&request_uri=y`, { headers: { 'x-forwarded-for': '203.0.113.7' }, redirect: 'manual' })
    expect(page.status).toBe(429)
    // Another client is served as before.
    const other = await post('/oauth/par', '198.51.100.9', { client_id: app.clientId })
    expect(other.status).not.toBe(429)
    expect((await other.json()).error).toBe('invalid_request')
    // Discovery is not the OAuth budget's.
    const meta = await fetch(`${rig.server.url}/.well-known/oauth-authorization-server`, { headers: { 'x-forwarded-for': '203.0.113.7' } })
    expect(meta.status).toBe(200)
  })
})

describe('used DPoP proofs are remembered across a restart', () => {
  let rig: OAuthRig
  let alice: TestAccount

  beforeAll(async () => {
    rig = await startOAuthRig()
    alice = await rig.server.createAccount('alice')
  })
  afterAll(async () => {
    await rig?.close()
  })

  it('a proof taken before the restart is refused after it; a fresh one passes', async () => {
    const app = rig.registerApp('replayer')
    const c = await RawOAuthClient.create(rig.server.url, app)
    await c.signIn(alice.handle, alice.password)
    const tokens = await c.fullFlow('atproto transition:generic')
    const url = `${rig.server.url}/xrpc/com.atproto.server.getSession`
    // Make sure the client holds a current nonce, then one proof, used once.
    expect((await c.xrpc('GET', 'com.atproto.server.getSession', { token: tokens.access_token })).status).toBe(200)
    const proof = await c.proof({ htm: 'GET', htu: url, ath: c.athOf(tokens.access_token) })
    const once = await c.xrpc('GET', 'com.atproto.server.getSession', { token: tokens.access_token, proof: async () => proof })
    expect(once.status).toBe(200)
    const again = await c.xrpc('GET', 'com.atproto.server.getSession', { token: tokens.access_token, proof: async () => proof })
    expect([again.status, again.body.error]).toEqual([401, 'invalid_dpop_proof'])

    await rig.restart()
    const afterRestart = await c.xrpc('GET', 'com.atproto.server.getSession', { token: tokens.access_token, proof: async () => proof })
    expect(afterRestart.status).toBe(401)
    expect(afterRestart.body.error).toBe('invalid_dpop_proof')
    expect(afterRestart.body.message).toMatch(/already used/)
    // The token and a new proof still work: only the replay was refused.
    expect((await c.xrpc('GET', 'com.atproto.server.getSession', { token: tokens.access_token })).status).toBe(200)
  })
})

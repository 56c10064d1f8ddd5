/**
 * The OAuth protocol as Hearth serves it, step by step with a hand-made
 * client: discovery, what each bad request is refused with (and that it
 * changes nothing), DPoP proof attacks on XRPC calls, code replay,
 * redirect-URI tricks, PKCE, refresh rotation and reuse, revocation, and
 * what deactivating or deleting the account does to the app's tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestAccount } from '../helpers/test-server.js'
import { startOAuthRig, type OAuthRig, type RegisteredApp } from './oauth-rig.js'
import { RawOAuthClient, newDpopKey, pkcePair } from './raw-oauth-client.js'

describe('Hearth as an OAuth authorization server', () => {
  let rig: OAuthRig
  let app: RegisteredApp
  let alice: TestAccount

  beforeAll(async () => {
    rig = await startOAuthRig()
    app = rig.registerApp('proto')
    alice = await rig.server.createAccount('alice')
  })
  afterAll(async () => {
    await rig?.close()
  })

  async function signedInClient(account = alice, which = app) {
    const c = await RawOAuthClient.create(rig.server.url, which)
    await c.signIn(account.handle, account.password)
    return c
  }

  const requestRows = () => (rig.server.pds.ctx.db.prepare('SELECT COUNT(*) AS n FROM oauth_request').get() as { n: number }).n

  it('discovery: the PDS names Hearth as its authorization server, which serves the profile’s metadata', async () => {
    const resource = await (await fetch(`${rig.server.url}/.well-known/oauth-protected-resource`)).json()
    expect(resource.resource).toBe(rig.server.url)
    expect(resource.authorization_servers).toEqual([rig.server.url])
    const meta = await (await fetch(`${rig.server.url}/.well-known/oauth-authorization-server`)).json()
    expect(meta.issuer).toBe(rig.server.url)
    expect(meta.require_pushed_authorization_requests).toBe(true)
    expect(meta.dpop_signing_alg_values_supported).toEqual(['ES256'])
    expect(meta.code_challenge_methods_supported).toEqual(['S256'])
    expect(meta.client_id_metadata_document_supported).toBe(true)
    expect(meta.token_endpoint_auth_methods_supported).toEqual(['none', 'private_key_jwt'])
    expect(meta.scopes_supported).toEqual(expect.arrayContaining(['atproto', 'transition:generic', 'transition:chat.bsky', 'transition:email']))
    expect(meta.pushed_authorization_request_endpoint).toBe(`${rig.server.url}/oauth/par`)
  })

  it('PAR without a nonce gets use_dpop_nonce and a DPoP-Nonce to retry with', async () => {
    const c = await RawOAuthClient.create(rig.server.url, app)
    const res = await c.post('par', { client_id: app.clientId }, { retry: false })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('use_dpop_nonce')
    expect(res.headers.get('dpop-nonce')).toBeTruthy()
  })

  it('bad requests are refused with the OAuth error the spec names, and store nothing', async () => {
    const c = await RawOAuthClient.create(rig.server.url, app)
    const before = requestRows()
    // unknown client metadata (404), unreachable client metadata
    const unknown = await RawOAuthClient.create(rig.server.url, { clientId: 'https://proto.apps.test/missing.json', redirectUri: app.redirectUri })
    expect((await unknown.par({ scope: 'atproto' })).body.error).toBe('invalid_client_metadata')
    const unreachable = await RawOAuthClient.create(rig.server.url, { clientId: 'https://nowhere.invalid/client.json', redirectUri: app.redirectUri })
    const unreachableRes = await unreachable.par({ scope: 'atproto' })
    expect(unreachableRes.status).toBe(400)
    expect(unreachableRes.body.error).toBe('invalid_client_metadata')
    // a redirect URI not in the metadata, and look-alikes
    for (const uri of ['https://evil.apps.test/callback', 'https://proto.apps.test/callback/../evil', 'https://proto.apps.test/callback?x=1', 'https://proto.apps.test.evil.test/callback']) {
      const res = await c.par({ scope: 'atproto', redirect_uri: uri })
      expect(res.body.error, uri).toBe('invalid_request')
    }
    // a scope the client's metadata does not declare
    expect((await c.par({ scope: 'atproto transition:email' })).body.error).toBe('invalid_scope')
    // no PKCE, or plain PKCE
    expect((await c.par({ scope: 'atproto', code_challenge: '' })).body.error).toBe('invalid_request')
    expect((await c.par({ scope: 'atproto', code_challenge_method: 'plain' })).body.error).toBe('invalid_request')
    // an http client id that is not a loopback client
    const http = await RawOAuthClient.create(rig.server.url, { clientId: 'http://proto.apps.test/client.json', redirectUri: app.redirectUri })
    expect((await http.par({ scope: 'atproto' })).body.error).toBe('invalid_client')
    expect(requestRows()).toBe(before)
  })

  it('client metadata that breaks the profile is invalid_client_metadata', async () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['notdpop', { dpop_bound_access_tokens: false }],
      ['httpredirect', { redirect_uris: ['http://httpredirect.apps.test/callback'] }],
      ['noatproto', { scope: 'transition:generic' }],
      ['nocode', { grant_types: ['refresh_token'] }],
      ['nokeys', { token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256' }],
      ['wrongid', { client_id: 'https://someone-else.apps.test/oauth-client-metadata.json' }],
      ['huge', { client_name: 'x'.repeat(70 * 1024) }],
    ]
    for (const [name, overrides] of cases) {
      const bad = rig.registerApp(name, overrides)
      const c = await RawOAuthClient.create(rig.server.url, { clientId: `https://${name}.apps.test/oauth-client-metadata.json`, redirectUri: bad.redirectUri })
      const res = await c.par({ scope: 'atproto' })
      expect([res.status, res.body.error], name).toEqual([400, 'invalid_client_metadata'])
    }
  })

  it('an expired PAR request cannot be used', async () => {
    const c = await signedInClient()
    const par = await c.par({ scope: 'atproto' })
    rig.server.pds.ctx.db.prepare('UPDATE oauth_request SET expires_at = 0 WHERE id = ?').run(par.body.request_uri.split(':').pop())
    await expect(c.authorize(par.body.request_uri)).rejects.toMatchObject({ page: expect.stringContaining('expired') })
  })

  it('the code works once; a replayed code is refused and ends what the first use made', async () => {
    const c = await signedInClient()
    const tokens = await c.fullFlow('atproto transition:generic')
    expect((await c.xrpc('GET', 'com.atproto.server.getSession', { token: tokens.access_token })).status).toBe(200)
    const replay = await c.exchange(tokens.code, tokens.verifier)
    expect(replay.status).toBe(400)
    expect(replay.body.error).toBe('invalid_grant')
    const after = await c.xrpc('GET', 'com.atproto.server.getSession', { token: tokens.access_token })
    expect(after.status).toBe(401)
    expect(after.body.error).toBe('invalid_token')
  })

  it('PKCE mismatch, another redirect_uri, another DPoP key at the token endpoint: invalid_grant', async () => {
    const c = await signedInClient()
    const attempt = async (tweak: (code: string, verifier: string) => Promise<{ body: any }>) => {
      const par = await c.par({ scope: 'atproto' })
      const { location } = await c.authorize(par.body.request_uri)
      return (await tweak(location.searchParams.get('code')!, par.pkce.verifier)).body.error
    }
    expect(await attempt((code) => c.exchange(code, pkcePair().verifier))).toBe('invalid_grant')
    expect(await attempt((code, v) => c.exchange(code, v, { redirect_uri: 'https://proto.apps.test/other' }))).toBe('invalid_grant')
    const thief = await RawOAuthClient.create(rig.server.url, app)
    thief.key = await newDpopKey()
    expect(await attempt((code, v) => thief.exchange(code, v))).toBe('invalid_grant')
  })

  it('denying sends the app access_denied and no code', async () => {
    const c = await signedInClient(alice, rig.registerApp('denied'))
    const par = await c.par({ scope: 'atproto' })
    const { location } = await c.authorize(par.body.request_uri, 'deny')
    expect(location.searchParams.get('error')).toBe('access_denied')
    expect(location.searchParams.get('code')).toBeNull()
    expect(location.searchParams.get('state')).toBe('st-1')
  })

  it('DPoP attacks on an XRPC call: each refused with its standard answer', async () => {
    const c = await signedInClient()
    const { access_token: token } = await c.fullFlow('atproto transition:generic')
    const nsid = 'com.atproto.server.getSession'
    const url = `${rig.server.url}/xrpc/${nsid}`
    const ath = c.athOf(token)
    const call = (proof: (u: string) => Promise<string | null>) => c.xrpc('GET', nsid, { token, proof })
    const ok = await c.xrpc('GET', nsid, { token })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('dpop-nonce')).toBeTruthy()

    const noProof = await call(async () => null)
    expect([noProof.status, noProof.body.error]).toEqual([401, 'invalid_dpop_proof'])
    expect(noProof.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_dpop_proof"/)

    const proof = await c.proof({ htm: 'GET', htu: url, ath })
    expect((await call(async () => proof)).status).toBe(200)
    const replayed = await call(async () => proof)
    expect([replayed.status, replayed.body.error]).toEqual([401, 'invalid_dpop_proof'])

    expect((await call(() => c.proof({ htm: 'POST', htu: url, ath }))).body.error).toBe('invalid_dpop_proof')
    expect((await call(() => c.proof({ htm: 'GET', htu: `${rig.server.url}/xrpc/com.atproto.repo.createRecord`, ath }))).body.error).toBe('invalid_dpop_proof')
    expect((await call(() => c.proof({ htm: 'GET', htu: url, ath, iat: Math.floor(Date.now() / 1000) - 3600 }))).body.error).toBe('invalid_dpop_proof')
    expect((await call(() => c.proof({ htm: 'GET', htu: url, ath: c.athOf('another token') }))).body.error).toBe('invalid_dpop_proof')

    const noNonce = await call(() => c.proof({ htm: 'GET', htu: url, ath, nonce: null }))
    expect([noNonce.status, noNonce.body.error]).toEqual([401, 'use_dpop_nonce'])
    expect(noNonce.headers.get('dpop-nonce')).toBeTruthy()
    expect(noNonce.headers.get('www-authenticate')).toContain('error="use_dpop_nonce"')
    expect((await call(() => c.proof({ htm: 'GET', htu: url, ath, nonce: 'made-up' }))).body.error).toBe('use_dpop_nonce')

    // Signed by another key than the token is bound to.
    const other = await newDpopKey()
    const stolen = await call(() => c.proof({ htm: 'GET', htu: url, ath, key: other }))
    expect([stolen.status, stolen.body.error]).toEqual([401, 'invalid_token'])

    // The token sent as a plain bearer token.
    const bearer = await c.xrpc('GET', nsid, { token, scheme: 'Bearer' })
    expect(bearer.status).toBe(401)
  })

  it('refresh rotates; a rotated-away refresh token coming back ends the session', async () => {
    const c = await signedInClient()
    const first = await c.fullFlow('atproto transition:generic')
    const second = await c.refresh(first.refresh_token)
    expect(second.status).toBe(200)
    expect(second.body.refresh_token).not.toBe(first.refresh_token)
    expect(second.body.token_type).toBe('DPoP')
    expect((await c.xrpc('GET', 'com.atproto.server.getSession', { token: second.body.access_token })).status).toBe(200)
    // Refreshing with another DPoP key is refused.
    const thief = await RawOAuthClient.create(rig.server.url, app)
    expect((await thief.refresh(second.body.refresh_token)).body.error).toBe('invalid_grant')
    // The old one again: refused, and the whole session is gone.
    const reuse = await c.refresh(first.refresh_token)
    expect(reuse.body.error).toBe('invalid_grant')
    expect((await c.refresh(second.body.refresh_token)).body.error).toBe('invalid_grant')
    expect((await c.xrpc('GET', 'com.atproto.server.getSession', { token: second.body.access_token })).status).toBe(401)
  })

  it('revocation (RFC 7009) ends the session at once', async () => {
    const c = await signedInClient()
    const tokens = await c.fullFlow('atproto transition:generic')
    expect((await c.post('revoke', { token: tokens.refresh_token, client_id: app.clientId })).status).toBe(200)
    expect((await c.xrpc('GET', 'com.atproto.server.getSession', { token: tokens.access_token })).status).toBe(401)
    expect((await c.refresh(tokens.refresh_token)).body.error).toBe('invalid_grant')
  })

  it('after approving once, the same or fewer permissions are not asked again; more are', async () => {
    const wide = rig.registerApp('again', { scope: 'atproto transition:generic transition:email' })
    const c = await signedInClient(alice, wide)
    const first = await c.authorize((await c.par({ scope: 'atproto transition:generic' })).body.request_uri)
    expect(first.consentShown).toBe(true)
    expect((await c.authorize((await c.par({ scope: 'atproto' })).body.request_uri)).consentShown).toBe(false)
    expect((await c.authorize((await c.par({ scope: 'atproto transition:email' })).body.request_uri)).consentShown).toBe(true)
  })

  it('a loopback development client (http://localhost) works and is shown as unverified', async () => {
    const clientId = `http://localhost?redirect_uri=${encodeURIComponent('http://127.0.0.1/callback')}&scope=${encodeURIComponent('atproto transition:generic')}`
    const c = await RawOAuthClient.create(rig.server.url, { clientId, redirectUri: 'http://127.0.0.1/callback' })
    await c.signIn(alice.handle, alice.password)
    const par = await c.par({ scope: 'atproto transition:generic' })
    expect(par.status).toBe(201)
    const q = new URLSearchParams({ client_id: clientId, request_uri: par.body.request_uri })
    const page = await fetch(`${rig.server.url}/oauth/authorize?${q}`, { redirect: 'manual' })
    expect(page.status).toBe(303) // signed out in a plain fetch: to the sign-in page first
    const { location, page: html } = await c.authorize(par.body.request_uri)
    expect(html).toContain('data-field="unverified"')
    const tokens = await c.exchange(location.searchParams.get('code')!, par.pkce.verifier)
    expect(tokens.status).toBe(200)
    expect(tokens.body.sub).toBe(alice.did)
  })

  it('login_hint preselects the account on the sign-in page', async () => {
    const c = await RawOAuthClient.create(rig.server.url, rig.registerApp('hinted'))
    const par = await c.par({ scope: 'atproto', login_hint: alice.handle })
    const q = new URLSearchParams({ client_id: c.clientId, request_uri: par.body.request_uri })
    const res = await fetch(`${rig.server.url}/oauth/authorize?${q}`, { redirect: 'manual' })
    expect(res.status).toBe(303)
    const to = new URL(res.headers.get('location')!, rig.server.url)
    expect(to.pathname).toBe('/sign-in')
    const signIn = await (await fetch(to)).text()
    expect(signIn).toContain(`value="${alice.handle}"`)
  })

  it('deactivating the account ends its app sessions; deleting it too', async () => {
    const bob = await rig.server.createAccount('bob')
    const c = await signedInClient(bob)
    const tokens = await c.fullFlow('atproto transition:generic')
    await bob.agent.com.atproto.server.deactivateAccount({})
    expect((await c.xrpc('GET', 'com.atproto.server.getSession', { token: tokens.access_token })).status).toBe(401)
    expect((await c.refresh(tokens.refresh_token)).body.error).toBe('invalid_grant')
    await bob.agent.com.atproto.server.activateAccount()

    const carol = await rig.server.createAccount('carol')
    const c2 = await signedInClient(carol)
    const t2 = await c2.fullFlow('atproto transition:generic')
    const { AccountRemoval } = await import('../../src/ops/account-removal.js')
    const ctx = rig.server.pds.ctx
    await new AccountRemoval({ db: ctx.db, eventLog: ctx.eventLog, blobStore: ctx.blobStore, repoLock: ctx.repoLock, committer: ctx.committer, accounts: ctx.accounts, vault: ctx.vault, scopes: ctx.scopes }).remove(carol.did)
    expect((await c2.xrpc('GET', 'com.atproto.server.getSession', { token: t2.access_token })).status).toBe(401)
    expect((await c2.refresh(t2.refresh_token)).body.error).toBe('invalid_grant')
  })
})

/**
 * The `prompt` parameter of an authorization request: none answers at once
 * (a code when signed in and approved before, login_required or
 * consent_required otherwise), login asks for a fresh sign-in, consent shows
 * the page even when approved before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestAccount } from '../helpers/test-server.js'
import { startOAuthRig, type OAuthRig } from './oauth-rig.js'
import { RawOAuthClient } from './raw-oauth-client.js'

describe('prompt=none, login, consent', () => {
  let rig: OAuthRig
  let alice: TestAccount

  beforeAll(async () => {
    rig = await startOAuthRig()
    alice = await rig.server.createAccount('alice')
  })
  afterAll(async () => {
    await rig?.close()
  })

  const SCOPE = 'atproto repo:app.bsky.feed.post?action=create'
  const appAsking = (name: string) => rig.registerApp(name, { scope: `${SCOPE} transition:generic` })

  it('none, signed out: back to the app with login_required, and the request is gone', async () => {
    const app = appAsking('silent1')
    const c = await RawOAuthClient.create(rig.server.url, app)
    const par = await c.par({ scope: SCOPE, prompt: 'none' })
    const { location } = await c.authorize(par.body.request_uri)
    expect(location.origin + location.pathname).toBe(app.redirectUri)
    expect(location.searchParams.get('error')).toBe('login_required')
    expect(location.searchParams.get('state')).toBe('st-1')
    expect(location.searchParams.get('iss')).toBe(rig.server.url)
    await expect(c.authorize(par.body.request_uri)).rejects.toThrow(/answered 400/)
  })

  it('none, signed in but never approved (or asking for more): consent_required; approved before: a code, no page', async () => {
    const app = appAsking('silent2')
    const c = await RawOAuthClient.create(rig.server.url, app)
    await c.signIn(alice.handle, alice.password)
    const first = await c.authorize((await c.par({ scope: SCOPE, prompt: 'none' })).body.request_uri)
    expect(first.location.searchParams.get('error')).toBe('consent_required')
    expect(first.location.searchParams.get('code')).toBeNull()

    await c.fullFlow(SCOPE) // approves on the page
    const par = await c.par({ scope: SCOPE, prompt: 'none' })
    const silent = await c.authorize(par.body.request_uri)
    expect(silent.consentShown).toBe(false)
    const code = silent.location.searchParams.get('code')
    expect(code).toBeTruthy()
    expect((await c.exchange(code!, par.pkce.verifier)).status).toBe(200)

    const more = await c.authorize((await c.par({ scope: `${SCOPE} transition:generic`, prompt: 'none' })).body.request_uri)
    expect(more.location.searchParams.get('error')).toBe('consent_required')

    // login_hint naming another account than the one signed in: not this person, so login_required.
    const bob = await rig.server.createAccount('bob')
    const other = await c.authorize((await c.par({ scope: SCOPE, prompt: 'none', login_hint: bob.handle })).body.request_uri)
    expect(other.location.searchParams.get('error')).toBe('login_required')
    const same = await c.authorize((await c.par({ scope: SCOPE, prompt: 'none', login_hint: alice.handle })).body.request_uri)
    expect(same.location.searchParams.get('code')).toBeTruthy()
  })

  it('consent: the page is shown even though the app was approved before', async () => {
    const app = appAsking('asker')
    const c = await RawOAuthClient.create(rig.server.url, app)
    await c.signIn(alice.handle, alice.password)
    await c.fullFlow(SCOPE)
    const again = await c.authorize((await c.par({ scope: SCOPE })).body.request_uri)
    expect(again.consentShown).toBe(false)
    const forced = await c.authorize((await c.par({ scope: SCOPE, prompt: 'consent' })).body.request_uri)
    expect(forced.consentShown).toBe(true)
    expect(forced.location.searchParams.get('code')).toBeTruthy()
  })

  it('login: a person already signed in must sign in again before the code', async () => {
    const app = appAsking('relogin')
    const c = await RawOAuthClient.create(rig.server.url, app)
    await c.signIn(alice.handle, alice.password)
    await c.fullFlow(SCOPE)
    const par = await c.par({ scope: SCOPE, prompt: 'login' })
    const first = await c.authorize(par.body.request_uri)
    expect(first.location.pathname).toBe('/sign-in')
    expect(first.location.searchParams.get('code')).toBeNull()
    await c.signIn(alice.handle, alice.password)
    const after = await c.authorize(par.body.request_uri)
    expect(after.location.origin + after.location.pathname).toBe(app.redirectUri)
    const code = after.location.searchParams.get('code')
    expect((await c.exchange(code!, par.pkce.verifier)).status).toBe(200)
  })
})

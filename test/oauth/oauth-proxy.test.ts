/**
 * Calls Hearth forwards to another service (the AppView, the chat service),
 * and getServiceAuth, made with an OAuth token: each needs the token's
 * `rpc:<lxm>?aud=<service>` permission (or the transitional scope that
 * covers it); a refused call never reaches the service.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestAccount } from '../helpers/test-server.js'
import { startTestPlc } from '../helpers/test-server.js'
import type { EmbeddedPlc } from '../../src/identity/embedded-plc.js'
import { LoopbackService } from '../proxy/loopback-service.js'
import { startOAuthRig, type OAuthRig } from './oauth-rig.js'
import { RawOAuthClient } from './raw-oauth-client.js'

describe('proxied calls with OAuth tokens', () => {
  let plc: EmbeddedPlc
  let svc: LoopbackService
  let rig: OAuthRig
  let alice: TestAccount

  beforeAll(async () => {
    plc = await startTestPlc()
    svc = await LoopbackService.start(plc.url, { services: { '#bsky_appview': true, '#bsky_chat': true } })
    rig = await startOAuthRig({
      plc,
      env: { HEARTH_APPVIEW_URL: svc.url, HEARTH_APPVIEW_DID: svc.did, HEARTH_CHAT_URL: svc.url, HEARTH_CHAT_DID: svc.did, HEARTH_PROXY_ALLOW_HTTP_LOOPBACK: 'true' },
    })
    alice = await rig.server.createAccount('alice')
  })
  afterAll(async () => {
    await rig?.close()
    await svc?.close()
    await plc?.close()
  })

  async function tokenFor(name: string, scope: string) {
    const c = await RawOAuthClient.create(rig.server.url, rig.registerApp(name, { scope }))
    await c.signIn(alice.handle, alice.password)
    const { access_token } = await c.fullFlow(scope)
    return (method: 'GET' | 'POST', nsid: string, params?: Record<string, string>) => c.xrpc(method, nsid, { token: access_token, params })
  }

  it('rpc:<lxm>?aud=<AppView>: that method is forwarded, another is refused before it leaves', async () => {
    const call = await tokenFor('notifier', `atproto rpc:app.bsky.notification.listNotifications?aud=${svc.did}%23bsky_appview`)
    const seen = svc.seen.length
    const ok = await call('GET', 'app.bsky.notification.listNotifications')
    expect(ok.status).toBe(200)
    expect(svc.seen.length).toBe(seen + 1)
    const upstream = svc.seen[svc.seen.length - 1]
    expect(upstream.headers.dpop).toBeUndefined()
    expect(upstream.headers.authorization).toMatch(/^Bearer /)
    const refused = await call('GET', 'app.bsky.feed.getFeed', { feed: 'at://did:plc:aaaaaaaaaaaaaaaaaaaaaaaa/app.bsky.feed.generator/x' })
    expect(refused.status).toBe(403)
    expect(refused.body.error).toBe('ScopeMissingError')
    expect(refused.body.message).toContain('rpc:app.bsky.feed.getFeed')
    expect(svc.seen.length).toBe(seen + 1)
    // getServiceAuth names a bare DID as aud: only a permission for that method at any audience covers it.
    expect((await call('GET', 'com.atproto.server.getServiceAuth', { aud: svc.did, lxm: 'app.bsky.notification.listNotifications' })).body.error).toBe('ScopeMissingError')
    const wildcard = await tokenFor('wildcard', 'atproto rpc:app.bsky.notification.listNotifications?aud=*')
    expect((await wildcard('GET', 'com.atproto.server.getServiceAuth', { aud: svc.did, lxm: 'app.bsky.notification.listNotifications' })).status).toBe(200)
    expect((await wildcard('GET', 'com.atproto.server.getServiceAuth', { aud: svc.did, lxm: 'app.bsky.feed.getFeed' })).body.error).toBe('ScopeMissingError')
  })

  it('transition:generic reaches the AppView but not chat; transition:chat.bsky reaches chat', async () => {
    const generic = await tokenFor('generic', 'atproto transition:generic')
    expect((await generic('GET', 'app.bsky.notification.listNotifications')).status).toBe(200)
    const chat = await generic('GET', 'chat.bsky.convo.listConvos')
    expect([chat.status, chat.body.error]).toEqual([403, 'ScopeMissingError'])
    const chatter = await tokenFor('chatter', 'atproto transition:chat.bsky')
    expect((await chatter('GET', 'chat.bsky.convo.listConvos')).status).toBe(200)
  })
})

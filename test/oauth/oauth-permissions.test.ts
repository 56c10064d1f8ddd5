/**
 * Granular permissions, checked on every XRPC call made with an OAuth
 * token: repo:, blob:, rpc: (Hearth's own dev.hearth.* methods too),
 * account:, identity:, the transitional scopes, and include: permission
 * sets, each missing one refused with the reference's `ScopeMissingError`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestAccount } from '../helpers/test-server.js'
import { startOAuthRig, type OAuthRig } from './oauth-rig.js'
import { RawOAuthClient } from './raw-oauth-client.js'

describe('permissions of OAuth tokens', () => {
  let rig: OAuthRig
  let alice: TestAccount

  beforeAll(async () => {
    rig = await startOAuthRig()
    alice = await rig.server.createAccount('alice')
  })
  afterAll(async () => {
    await rig?.close()
  })

  /** A client declaring `scope` in its metadata, approved by alice for all of it. */
  async function tokenFor(name: string, scope: string) {
    const app = rig.registerApp(name, { scope })
    const c = await RawOAuthClient.create(rig.server.url, app)
    await c.signIn(alice.handle, alice.password)
    const tokens = await c.fullFlow(scope)
    const call = (method: 'GET' | 'POST', nsid: string, o: { params?: Record<string, string>; body?: unknown; contentType?: string } = {}) =>
      c.xrpc(method, nsid, { token: tokens.access_token, ...o })
    return { c, tokens, call }
  }

  const post = () => ({ $type: 'app.bsky.feed.post', text: 'hi', createdAt: new Date().toISOString() })
  const expectMissing = (res: { status: number; body: any }, scope: string) => {
    expect(res.status).toBe(403)
    expect(res.body.error).toBe('ScopeMissingError')
    expect(res.body.message).toContain(scope)
  }

  it('repo:app.bsky.feed.post?action=create: a post yes; a like, a profile, a delete, an app password no', async () => {
    const { call } = await tokenFor('poster', 'atproto repo:app.bsky.feed.post?action=create')
    const created = await call('POST', 'com.atproto.repo.createRecord', { body: { repo: alice.did, collection: 'app.bsky.feed.post', record: post() } })
    expect(created.status).toBe(200)
    const like = await call('POST', 'com.atproto.repo.createRecord', {
      body: { repo: alice.did, collection: 'app.bsky.feed.like', record: { $type: 'app.bsky.feed.like', subject: { uri: created.body.uri, cid: created.body.cid }, createdAt: new Date().toISOString() } },
    })
    expectMissing(like, 'repo:app.bsky.feed.like')
    const profile = await call('POST', 'com.atproto.repo.putRecord', {
      body: { repo: alice.did, collection: 'app.bsky.actor.profile', rkey: 'self', record: { $type: 'app.bsky.actor.profile', displayName: 'Alice' } },
    })
    expectMissing(profile, 'repo:app.bsky.actor.profile')
    const del = await call('POST', 'com.atproto.repo.deleteRecord', { body: { repo: alice.did, collection: 'app.bsky.feed.post', rkey: created.body.uri.split('/').pop() } })
    expectMissing(del, 'action=delete')
    const batch = await call('POST', 'com.atproto.repo.applyWrites', {
      body: { repo: alice.did, writes: [{ $type: 'com.atproto.repo.applyWrites#create', collection: 'app.bsky.feed.post', value: post() }, { $type: 'com.atproto.repo.applyWrites#create', collection: 'app.bsky.graph.follow', value: { $type: 'app.bsky.graph.follow', subject: alice.did, createdAt: new Date().toISOString() } }] },
    })
    expectMissing(batch, 'repo:app.bsky.graph.follow')
    const appPassword = await call('POST', 'com.atproto.server.createAppPassword', { body: { name: 'sneaky' } })
    expect(appPassword.status).toBe(403)
    expect(appPassword.body.message).toContain('OAuth credentials are not supported')
    expectMissing(await call('POST', 'com.atproto.repo.uploadBlob', { body: new Uint8Array([1, 2, 3]), contentType: 'image/png' }), 'blob:image/png')
    expectMissing(await call('POST', 'dev.hearth.scope.ingest', { body: { scope: 'notes.daily', data: { a: 1 } } }), 'rpc:dev.hearth.scope.ingest')
    // Nothing of the refused calls was written.
    const records = await alice.agent.com.atproto.repo.listRecords({ repo: alice.did, collection: 'app.bsky.feed.like' })
    expect(records.data.records).toHaveLength(0)
    const apps = await alice.agent.com.atproto.server.listAppPasswords()
    expect(apps.data.passwords.map((p) => p.name)).not.toContain('sneaky')
    // Reads of public data and getSession need no more than atproto; the email only with account:email.
    const session = await call('GET', 'com.atproto.server.getSession')
    expect(session.status).toBe(200)
    expect(session.body.did).toBe(alice.did)
    expect(session.body.email).toBeUndefined()
  })

  it('blob:image/* takes images only; transition:email shows the email', async () => {
    const { call } = await tokenFor('imager', 'atproto blob:image/* transition:email')
    expect((await call('POST', 'com.atproto.repo.uploadBlob', { body: new Uint8Array([137, 80, 78, 71]), contentType: 'image/png' })).status).toBe(200)
    expectMissing(await call('POST', 'com.atproto.repo.uploadBlob', { body: new Uint8Array([1]), contentType: 'text/plain' }), 'blob:text/plain')
    expect((await call('GET', 'com.atproto.server.getSession')).body.email).toBe(`${alice.handle}@example.com`)
  })

  it('identity:handle and account:status are their own permissions; transition:generic covers neither', async () => {
    const generic = await tokenFor('generic', 'atproto transition:generic')
    expectMissing(await generic.call('POST', 'com.atproto.identity.updateHandle', { body: { handle: 'alice-new.test' } }), 'identity:handle')
    expectMissing(await generic.call('POST', 'com.atproto.server.deactivateAccount', { body: {} }), 'account:status')
    // transition:generic does write anything in the repo, and call Hearth's own methods (but not create grants).
    expect((await generic.call('POST', 'com.atproto.repo.createRecord', { body: { repo: alice.did, collection: 'app.bsky.feed.post', record: post() } })).status).toBe(200)
    expect((await generic.call('GET', 'dev.hearth.grant.list')).status).toBe(200)
    expectMissing(await generic.call('POST', 'dev.hearth.grant.create', { body: { grantee: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', scopes: ['notes.daily'] } }), 'rpc:dev.hearth.grant.create')

    const handle = await tokenFor('handler', 'atproto identity:handle')
    const changed = await handle.call('POST', 'com.atproto.identity.updateHandle', { body: { handle: 'alice-renamed.test' } })
    expect(changed.status).toBe(200)
    await alice.agent.com.atproto.identity.updateHandle({ handle: alice.handle })
  })

  it('include: a Hearth permission set gets exactly the set’s permissions', async () => {
    await rig.server.pds.ctx.scopes.ingest.ingest(alice.did, 'notes.daily', [{ data: { text: 'one' } }])
    const { tokens, call } = await tokenFor('reader', 'atproto include:dev.hearth.scopeReader')
    // The set's four methods, as one rpc: permission (the library's normalized form), and nothing else.
    expect(tokens.scope).toBe('atproto rpc?lxm=dev.hearth.grant.list&lxm=dev.hearth.scope.getRecord&lxm=dev.hearth.scope.getRepo&lxm=dev.hearth.scope.listRecords&aud=*')
    const listed = await call('GET', 'dev.hearth.scope.listRecords', { params: { repo: alice.did, scope: 'notes.daily' } })
    expect(listed.status).toBe(200)
    expect(listed.body.records).toHaveLength(1)
    expect((await call('GET', 'dev.hearth.grant.list')).status).toBe(200)
    expectMissing(await call('POST', 'dev.hearth.scope.ingest', { body: { scope: 'notes.daily', data: { text: 'two' } } }), 'rpc:dev.hearth.scope.ingest')
    expectMissing(await call('POST', 'com.atproto.repo.createRecord', { body: { repo: alice.did, collection: 'app.bsky.feed.post', record: post() } }), 'repo:app.bsky.feed.post')
  })

  it('include: a set Hearth cannot resolve is refused at PAR with invalid_scope', async () => {
    const app = rig.registerApp('unknownset', { scope: 'atproto include:com.example.nothing' })
    const c = await RawOAuthClient.create(rig.server.url, app)
    const res = await c.par({ scope: 'atproto include:com.example.nothing' })
    expect(res.body.error).toBe('invalid_scope')
  })
})

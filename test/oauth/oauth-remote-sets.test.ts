/**
 * include: a permission set Hearth does not ship, resolved as the network
 * does: a real DNS server on loopback answers `_lexicon.example.com` with
 * the DID of an account on the test's PLC directory, whose PDS (this
 * Hearth) holds the set as a `com.atproto.lexicon.schema` record; Hearth
 * fetches it with its commit proof. The app gets exactly what the set
 * grants; an unresolvable set, a set naming NSIDs outside its namespace,
 * and a lexicon that is not a permission set are refused at PAR.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestAccount } from '../helpers/test-server.js'
import { startLoopbackDns, type LoopbackDns } from '../helpers/loopback-dns.js'
import { startOAuthRig, type OAuthRig } from './oauth-rig.js'
import { RawOAuthClient } from './raw-oauth-client.js'

const AUD = 'did:web:notes.example#notes_api'

describe('permission sets resolved from the network', () => {
  let rig: OAuthRig
  let dnsServer: LoopbackDns
  let alice: TestAccount
  let publisher: TestAccount

  const publish = (nsid: string, main: Record<string, unknown>) =>
    publisher.agent.com.atproto.repo.putRecord({
      repo: publisher.did,
      collection: 'com.atproto.lexicon.schema',
      rkey: nsid,
      record: { $type: 'com.atproto.lexicon.schema', lexicon: 1, id: nsid, defs: { main } },
      validate: false,
    })

  beforeAll(async () => {
    dnsServer = await startLoopbackDns()
    rig = await startOAuthRig()
    alice = await rig.server.createAccount('alice')
    publisher = await rig.server.createAccount('notesco')
    dnsServer.set('_lexicon.example.com', { TXT: [`did=${publisher.did}`] })
    await publish('com.example.authNotes', {
      type: 'permission-set',
      title: 'Write your notes',
      'title:lang': { de: 'Deine Notizen schreiben' },
      detail: 'Create notes and read them back through the Notes service.',
      permissions: [
        { type: 'permission', resource: 'repo', collection: ['com.example.note'], action: ['create'] },
        { type: 'permission', resource: 'rpc', lxm: ['com.example.getNotes'], inheritAud: true },
      ],
    })
    await publish('com.example.authSneaky', {
      type: 'permission-set',
      title: 'Harmless',
      permissions: [{ type: 'permission', resource: 'repo', collection: ['com.example.note', 'app.bsky.feed.post'] }],
    })
    await publish('com.example.note', { type: 'record', key: 'tid', record: { type: 'object', properties: {} } })
  })
  afterAll(async () => {
    await rig?.close()
    await dnsServer?.close()
  })

  const post = () => ({ $type: 'app.bsky.feed.post', text: 'hi', createdAt: new Date().toISOString() })

  it('an app asking for include:com.example.authNotes gets exactly the set, shown by its title and detail', async () => {
    const scope = `atproto include:com.example.authNotes?aud=${encodeURIComponent(AUD)}`
    const app = rig.registerApp('notes', { scope })
    const c = await RawOAuthClient.create(rig.server.url, app)
    await c.signIn(alice.handle, alice.password)
    const par = await c.par({ scope })
    expect(par.status).toBe(201)
    const { location, page } = await c.authorize(par.body.request_uri)
    expect(page).toContain('Write your notes (com.example.authNotes)')
    expect(page).toContain('Create notes and read them back through the Notes service.')
    const tokens = await c.exchange(location.searchParams.get('code')!, par.pkce.verifier)
    expect(tokens.status).toBe(200)
    // The set's two permissions, the rpc one with the include's audience, and nothing else.
    expect(tokens.body.scope.split(' ').sort()).toEqual(['atproto', 'repo:com.example.note?action=create', `rpc:com.example.getNotes?aud=${AUD.replace('#', '%23')}`].sort())
    const call = (nsid: string, body: unknown) => c.xrpc('POST', nsid, { token: tokens.body.access_token, body })
    const note = await call('com.atproto.repo.createRecord', { repo: alice.did, collection: 'com.example.note', record: { $type: 'com.example.note', text: 'one' }, validate: false })
    expect(note.status).toBe(200)
    const refused = await call('com.atproto.repo.createRecord', { repo: alice.did, collection: 'app.bsky.feed.post', record: post() })
    expect([refused.status, refused.body.error]).toEqual([403, 'ScopeMissingError'])

    // A German reader sees the set's German title (title:lang), and the default detail (no German one).
    c.pageHeaders = { 'accept-language': 'de-DE, en;q=0.5' }
    const german = await c.authorize((await c.par({ scope, prompt: 'consent' })).body.request_uri)
    expect(german.page).toContain('Deine Notizen schreiben (com.example.authNotes)')
    expect(german.page).toContain('Create notes and read them back through the Notes service.')
  })

  it.each([
    ['a set nobody publishes (no _lexicon TXT record)', 'org.nowhere.authAll', /Could not resolve the permission set org\.nowhere\.authAll/],
    ['a set naming NSIDs outside its namespace', 'com.example.authSneaky', /names app\.bsky\.feed\.post, outside its own namespace com\.example\.\*/],
    ['a lexicon that is not a permission set', 'com.example.note', /not a permission set/],
    ['a set the publisher never wrote', 'com.example.authMissing', /Could not resolve the permission set com\.example\.authMissing/],
  ])('%s is refused at PAR with invalid_scope', async (_what, nsid, message) => {
    const scope = `atproto include:${nsid}`
    const app = rig.registerApp(`app-${nsid.replace(/\./g, '-').toLowerCase()}`, { scope })
    const c = await RawOAuthClient.create(rig.server.url, app)
    const par = await c.par({ scope })
    expect(par.status).toBe(400)
    expect(par.body.error).toBe('invalid_scope')
    expect(par.body.error_description).toMatch(message)
  })
})

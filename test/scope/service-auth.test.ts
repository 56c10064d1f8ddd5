/**
 * Apps prove themselves with inter-service JWTs, and a grant opens exactly
 * what it names. Forged, expired, over-long, replayed, wrong-aud, wrong-lxm
 * and otherwise bent tokens are refused with a 401 naming the check; a
 * valid app without a grant gets the same 403 whether or not the scope (or
 * the account) exists; a grant for one scope reads nothing of another.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Secp256k1Keypair } from '@atproto/crypto'
import { secp256k1 } from '@noble/curves/secp256k1'
import { startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'
import { eventually } from '../firehose/stream-reader.js'
import { TestApp, serviceDid } from './test-app.js'
import { ingest, ownerCall } from './owner.js'

let server: TestServer
let alice: TestAccount
let app: TestApp
let aud: string
let grantId: string
const LIST = 'dev.hearth.scope.listRecords'

beforeAll(async () => {
  server = await startTestServer()
  alice = await server.createAccount('alice')
  app = await TestApp.register(server.plcUrl, 'reader')
  aud = await serviceDid(server.url)
  await ingest(server.url, alice, 'instagram.profile', [{ name: 'Ada' }, { name: 'Grace' }])
  await ingest(server.url, alice, 'spotify.history', [{ track: 'secret song' }])
  const grant = await ownerCall(server.url, alice, 'dev.hearth.grant.create', { body: { grantee: app.did, scopes: ['instagram.profile'] } })
  expect(grant.status).toBe(200)
  grantId = grant.json.id
})
afterAll(() => server?.close({ removeData: true }))

const list = (scope: string, token?: string | null, repo = alice.did) => app.call(server.url, LIST, { params: { repo, scope }, token })

describe('inter-service JWTs', () => {
  it('a fresh, well-made token for the method reads the granted scope', async () => {
    const res = await list('instagram.profile')
    expect(res.status).toBe(200)
    expect(res.json.records.map((r: any) => r.value.data.name).sort()).toEqual(['Ada', 'Grace'])
  })

  const refusals: [string, () => Promise<string | null>, string][] = [
    ['no token at all', async () => null, 'AuthenticationRequired'],
    ['signed by a key not in the DID document (forged)', async () => app.token({ aud, lxm: LIST, signer: await Secp256k1Keypair.create() }), 'BadJwtSignature'],
    ['expired', async () => app.token({ aud, lxm: LIST, expIn: -5 }), 'JwtExpired'],
    ['living longer than 5 minutes', async () => app.token({ aud, lxm: LIST, expIn: 600 }), 'BadJwtLifetime'],
    ['for another server (aud)', async () => app.token({ aud: 'did:web:elsewhere.example', lxm: LIST }), 'BadJwtAudience'],
    ['for another method (lxm)', async () => app.token({ aud, lxm: 'dev.hearth.scope.getRepo' }), 'BadJwtLexiconMethod'],
    ['without lxm', async () => app.token({ aud }), 'BadJwtLexiconMethod'],
    ['without jti', async () => app.token({ aud, lxm: LIST, jti: null }), 'BadJwt'],
    ['claiming another issuer', async () => app.token({ aud, lxm: LIST, iss: alice.did }), 'BadJwtSignature'],
    ['of type at+jwt (an access token)', async () => app.token({ aud, lxm: LIST, typ: 'at+jwt' }), 'BadJwtType'],
    // Not ES256K/ES256: read as a session token, which it is not either.
    ['with alg HS256', async () => app.token({ aud, lxm: LIST, alg: 'HS256' }), 'InvalidToken'],
    ['with alg none', async () => (await app.token({ aud, lxm: LIST, alg: 'none' })).replace(/\.[^.]+$/, '.AA'), 'InvalidToken'],
    ['that is not a JWT', async () => 'hello', 'InvalidToken'],
  ]
  for (const [what, make, error] of refusals) {
    it(`refuses a token ${what}: 401 ${error}`, async () => {
      const res = await list('instagram.profile', await make())
      expect(res.status).toBe(401)
      expect(res.json).toEqual({ error, message: expect.any(String) })
    })
  }

  it('a token is accepted once: the replay is refused', async () => {
    const token = await app.token({ aud, lxm: LIST })
    expect((await list('instagram.profile', token)).status).toBe(200)
    const replay = await list('instagram.profile', token)
    expect(replay.status).toBe(401)
    expect(replay.json.error).toBe('JwtReplayed')
  })

  it('the high-S twin of a valid signature is refused, and does not use up the jti of the real token', async () => {
    const token = await app.token({ aud, lxm: LIST })
    const [h, p, s] = token.split('.')
    const sig = secp256k1.Signature.fromCompact(Buffer.from(s, 'base64url'))
    const highS = new secp256k1.Signature(sig.r, secp256k1.CURVE.n - sig.s).toCompactRawBytes()
    const twin = `${h}.${p}.${Buffer.from(highS).toString('base64url')}`
    const res = await list('instagram.profile', twin)
    expect(res.status).toBe(401)
    expect(res.json.error).toBe('BadJwtSignature')
    expect((await list('instagram.profile', token)).status).toBe(200)
  })

  it('the same token checks hold for requestAccess and getRequest', async () => {
    const req = (token: string | null) => app.call(server.url, 'dev.hearth.grant.requestAccess', { body: { scopes: ['x.y'], reason: 'test' }, token })
    expect((await req(await app.token({ aud, lxm: LIST }))).json.error).toBe('BadJwtLexiconMethod')
    expect((await req(await app.token({ aud: 'did:web:other.example', lxm: 'dev.hearth.grant.requestAccess' }))).json.error).toBe('BadJwtAudience')
    const ok = await req(await app.token({ aud, lxm: 'dev.hearth.grant.requestAccess' }))
    expect(ok.status).toBe(200)
    const get = (token: string | null) => app.call(server.url, 'dev.hearth.grant.getRequest', { params: { id: ok.json.id }, token })
    expect((await get(await app.token({ aud, lxm: 'dev.hearth.grant.requestAccess' }))).status).toBe(401)
    expect((await get(await app.token({ aud, lxm: 'dev.hearth.grant.getRequest', expIn: -1 }))).json.error).toBe('JwtExpired')
    expect((await get(await app.token({ aud, lxm: 'dev.hearth.grant.getRequest' }))).json.status).toBe('pending')
    // Another app cannot read it: it reads as unknown.
    const other = await TestApp.register(server.plcUrl, 'nosy')
    const theirs = await other.call(server.url, 'dev.hearth.grant.getRequest', { params: { id: ok.json.id } })
    expect(theirs.status).toBe(404)
    expect(theirs.json.error).toBe('RequestNotFound')
  })
})

describe('grants', () => {
  it('a grant for one scope reads nothing of another, through every read method', async () => {
    const rkey = (await ownerCall(server.url, alice, LIST, { params: { repo: alice.did, scope: 'spotify.history' } })).json.records[0].rkey
    const calls = [
      app.call(server.url, LIST, { params: { repo: alice.did, scope: 'spotify.history' } }),
      app.call(server.url, 'dev.hearth.scope.getRecord', { params: { repo: alice.did, scope: 'spotify.history', rkey } }),
      app.call(server.url, 'dev.hearth.scope.getRepo', { params: { repo: alice.did, scope: 'spotify.history' } }),
    ]
    for (const res of await Promise.all(calls)) {
      expect(res.status).toBe(403)
      expect(res.json.error).toBe('ScopeAccessDenied')
      expect(Buffer.from(res.bytes).toString()).not.toContain('secret song')
    }
  })

  it('the refusal is the same, byte for byte, whether or not the scope or the account exists', async () => {
    const methods: [string, Record<string, string>][] = [
      [LIST, {}],
      ['dev.hearth.scope.getRecord', { rkey: '3jzfcijpj2z2a' }],
      ['dev.hearth.scope.getRepo', {}],
    ]
    for (const [nsid, extra] of methods) {
      const read = (repo: string, scope: string) => app.call(server.url, nsid, { params: { repo, scope, ...extra } })
      const before = await read(alice.did, 'music.later')
      const ghost = await read('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', 'music.later')
      await ingest(server.url, alice, 'music.later', [{ n: nsid }])
      const after = await read(alice.did, 'music.later')
      expect(before.status).toBe(403)
      expect(Buffer.from(after.bytes).toString()).toBe(Buffer.from(before.bytes).toString())
      expect(ghost.status).toBe(403)
      expect(ghost.json.error).toBe(before.json.error)
      expect(ghost.json.message).toBe(before.json.message.replace(alice.did, 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'))
    }
  })

  it('another account’s session token reads nothing; the owner’s own token reads everything of theirs', async () => {
    const bob = await server.createAccount('bob')
    const asBob = await ownerCall(server.url, bob, LIST, { params: { repo: alice.did, scope: 'instagram.profile' } })
    expect(asBob.status).toBe(403)
    const asAlice = await ownerCall(server.url, alice, LIST, { params: { repo: alice.did, scope: 'spotify.history' } })
    expect(asAlice.status).toBe(200)
  })

  it('a revoked grant reads nothing from then on; revoking twice changes nothing; others cannot revoke it', async () => {
    const other = await TestApp.register(server.plcUrl, 'shortlived')
    const made = await ownerCall(server.url, alice, 'dev.hearth.grant.create', { body: { grantee: other.did, scopes: ['spotify.history'] } })
    const read = () => other.call(server.url, LIST, { params: { repo: alice.did, scope: 'spotify.history' } })
    expect((await read()).status).toBe(200)
    const bob = await server.createAccount('bob')
    expect((await ownerCall(server.url, bob, 'dev.hearth.grant.revoke', { body: { id: made.json.id } })).status).toBe(404)
    expect((await read()).status).toBe(200)
    const revoked = await ownerCall(server.url, alice, 'dev.hearth.grant.revoke', { body: { id: made.json.id } })
    expect(revoked.json).toMatchObject({ id: made.json.id, status: 'revoked', revokedAt: expect.any(String) })
    expect((await read()).status).toBe(403)
    const again = await ownerCall(server.url, alice, 'dev.hearth.grant.revoke', { body: { id: made.json.id } })
    expect(again.json.revokedAt).toBe(revoked.json.revokedAt)
    const listed = await ownerCall(server.url, alice, 'dev.hearth.grant.list', { params: { activeOnly: true } })
    expect(listed.json.grants.map((g: any) => g.id)).not.toContain(made.json.id)
  })

  it('an expired grant reads nothing', async () => {
    const other = await TestApp.register(server.plcUrl, 'brief')
    // Long enough for the next calls to land before it, even on a loaded machine.
    const soon = new Date(Date.now() + 4000).toISOString()
    const made = await ownerCall(server.url, alice, 'dev.hearth.grant.create', { body: { grantee: other.did, scopes: ['spotify.history'], expiresAt: soon } })
    expect(made.json.expiresAt).toBe(soon)
    expect((await other.call(server.url, LIST, { params: { repo: alice.did, scope: 'spotify.history' } })).status).toBe(200)
    await eventually(() => Date.now() > Date.parse(soon), 'the grant to expire')
    const res = await other.call(server.url, LIST, { params: { repo: alice.did, scope: 'spotify.history' } })
    expect(res.status).toBe(403)
    const listed = await ownerCall(server.url, alice, 'dev.hearth.grant.list')
    expect(listed.json.grants.find((g: any) => g.id === made.json.id).status).toBe('expired')
  })

  it('making a grant needs the account password or a privileged app password; bad input is a 400', async () => {
    const pw = await alice.agent.com.atproto.server.createAppPassword({ name: 'client' })
    const { AtpAgent } = await import('@atproto/api')
    const client = new AtpAgent({ service: server.url })
    await client.login({ identifier: alice.handle, password: pw.data.password })
    const viaAppPassword = await ownerCall(server.url, { ...alice, agent: client }, 'dev.hearth.grant.create', { body: { grantee: app.did, scopes: ['spotify.history'] } })
    expect(viaAppPassword.status).toBe(403)
    const bad: unknown[] = [
      { grantee: app.did, scopes: ['Not.valid'] },
      { grantee: app.did, scopes: [] },
      { grantee: 'not-a-did', scopes: ['x.y'] },
      { grantee: app.did, scopes: ['x.y'], expiresAt: '2001-01-01T00:00:00Z' },
    ]
    for (const body of bad) {
      const res = await ownerCall(server.url, alice, 'dev.hearth.grant.create', { body })
      expect(res.status, JSON.stringify(body)).toBe(400)
    }
    expect((await ownerCall(server.url, alice, 'dev.hearth.grant.list')).json.grants.map((g: any) => g.id)).toContain(grantId)
  })

  it('a deactivated owner’s scopes read as not granted', async () => {
    const dora = await server.createAccount('dora')
    await ingest(server.url, dora, 'x.y', { a: 1 })
    await ownerCall(server.url, dora, 'dev.hearth.grant.create', { body: { grantee: app.did, scopes: ['x.y'] } })
    expect((await app.call(server.url, LIST, { params: { repo: dora.did, scope: 'x.y' } })).status).toBe(200)
    await dora.agent.com.atproto.server.deactivateAccount({})
    expect((await app.call(server.url, LIST, { params: { repo: dora.did, scope: 'x.y' } })).status).toBe(403)
  })
})

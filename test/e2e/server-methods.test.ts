/**
 * com.atproto.server.* end to end: accounts under each registration mode,
 * sessions (password and app password), refresh, logout, app passwords.
 * Everything goes through @atproto/api's AtpAgent against a real Hearth and a
 * real PLC directory on loopback.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AtpAgent } from '@atproto/api'
import { IdResolver } from '@atproto/identity'
import { Secp256k1Keypair } from '@atproto/crypto'
import { SignJWT } from 'jose'
import { startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'
import { expectXrpcError } from './xrpc-expect.js'

let server: TestServer
let idResolver: IdResolver

beforeAll(async () => {
  server = await startTestServer()
  idResolver = new IdResolver({ plcUrl: server.plcUrl })
})
afterAll(() => server.close({ removeData: true }))

/** Runs `fn` with the server's registration policy set to `mode`, then puts it back. */
async function withRegistration(mode: 'open' | 'invite' | 'closed', fn: () => Promise<void>) {
  const config = server.pds.ctx.config
  const before = config.registration
  config.registration = mode
  try {
    await fn()
  } finally {
    config.registration = before
  }
}

const refreshWith = (refreshJwt: string) =>
  server.agent().com.atproto.server.refreshSession(undefined, { headers: { authorization: `Bearer ${refreshJwt}` } })

describe('describeServer', () => {
  it('names the service DID, the handle domains and whether an invite is needed', async () => {
    const res = await server.agent().com.atproto.server.describeServer()
    expect(res.data.did).toBe(server.pds.ctx.config.serviceDid)
    expect(res.data.did).toMatch(/^did:web:/)
    expect(res.data.availableUserDomains).toEqual(['.test'])
    expect(res.data.inviteCodeRequired).toBe(false)
    await withRegistration('invite', async () => {
      const invite = await server.agent().com.atproto.server.describeServer()
      expect(invite.data.inviteCodeRequired).toBe(true)
    })
  })
})

describe('createAccount', () => {
  it('makes a did:plc whose genesis document names the handle, the #atproto key and this PDS', async () => {
    const agent = server.agent()
    const res = await agent.com.atproto.server.createAccount({
      handle: 'genesis.test',
      password: 'genesis-password',
      email: 'genesis@example.com',
    })
    expect(res.data.did).toMatch(/^did:plc:[a-z2-7]{24}$/)
    expect(res.data.handle).toBe('genesis.test')
    expect(res.data.accessJwt).toBeTruthy()
    expect(res.data.refreshJwt).toBeTruthy()
    expect((res.data.didDoc as { id: string }).id).toBe(res.data.did)

    const data = await idResolver.did.resolveAtprotoData(res.data.did, true)
    expect(data.handle).toBe('genesis.test')
    expect(data.pds).toBe(server.url)
    expect(data.signingKey).toMatch(/^did:key:zQ3s/) // secp256k1

    // The PLC operation log: the server's rotation key controls the DID.
    const plcData = (await (await fetch(`${server.plcUrl}/${res.data.did}/data`)).json()) as { rotationKeys: string[] }
    expect(plcData.rotationKeys).toContain(server.pds.ctx.plc.rotationKeyDid)

    // The repo exists from the start, with a signed first commit.
    const head = await agent.com.atproto.sync.getLatestCommit({ did: res.data.did })
    expect(head.data.cid).toMatch(/^bafyrei/)

    // The signing key is never on disk in plaintext.
    const account = server.pds.ctx.accounts.get(res.data.did)!
    const privateKey = Buffer.from(server.pds.ctx.vault.open(res.data.did, account.signingKeyEnc))
    for (const file of fs.readdirSync(server.dataDir)) {
      const full = path.join(server.dataDir, file)
      if (!fs.statSync(full).isFile()) continue
      const bytes = fs.readFileSync(full)
      expect(bytes.includes(privateKey), `${file} holds the raw key`).toBe(false)
      expect(bytes.includes(Buffer.from(privateKey.toString('hex'))), `${file} holds the hex key`).toBe(false)
    }
  })

  it('puts a recovery key given by the person first among the DID\'s rotation keys', async () => {
    const recovery = await Secp256k1Keypair.create()
    const res = await server.agent().com.atproto.server.createAccount({
      handle: 'recovery.test',
      password: 'long-enough-pw',
      recoveryKey: recovery.did(),
    })
    const plcData = (await (await fetch(`${server.plcUrl}/${res.data.did}/data`)).json()) as { rotationKeys: string[] }
    expect(plcData.rotationKeys).toEqual([recovery.did(), server.pds.ctx.plc.rotationKeyDid]) // the person's key has the higher authority
    // The server's key still signs the account's updates.
    await server.agent().com.atproto.identity.updateHandle({ handle: 'recovered.test' }, { headers: { authorization: `Bearer ${res.data.accessJwt}` } })
    expect((await idResolver.did.resolveAtprotoData(res.data.did, true)).handle).toBe('recovered.test')
  })

  it('refuses a taken handle, a taken email, a bad handle, a foreign domain and a short password', async () => {
    const agent = server.agent()
    const taken = await server.createAccount('taken')
    await expectXrpcError(
      agent.com.atproto.server.createAccount({ handle: taken.handle, password: 'long-enough-pw' }),
      400,
      'HandleNotAvailable',
    )
    await expectXrpcError(
      agent.com.atproto.server.createAccount({ handle: 'other1.test', password: 'long-enough-pw', email: `${taken.handle}@example.com` }),
      400,
      'EmailNotAvailable',
    )
    // Not a handle at all: the lexicon's format check at the edge refuses it.
    await expectXrpcError(agent.com.atproto.server.createAccount({ handle: 'bad_handle!.test', password: 'long-enough-pw' }), 400, 'InvalidRequest')
    await expectXrpcError(agent.com.atproto.server.createAccount({ handle: 'someone.example.com', password: 'long-enough-pw' }), 400, 'UnsupportedDomain')
    await expectXrpcError(agent.com.atproto.server.createAccount({ handle: 'ab.test', password: 'long-enough-pw' }), 400, 'InvalidHandle')
    await expectXrpcError(agent.com.atproto.server.createAccount({ handle: 'shortpw.test', password: 'short' }), 400, 'InvalidPassword')
    // None of those left an account behind.
    for (const handle of ['other1.test', 'shortpw.test']) {
      await expectXrpcError(agent.com.atproto.identity.resolveHandle({ handle }), 400, 'HandleNotFound')
    }
  })

  it('with registration "invite", needs a usable code made through the admin path, spent once per use', async () => {
    await withRegistration('invite', async () => {
      const agent = server.agent()
      await expectXrpcError(agent.com.atproto.server.createAccount({ handle: 'noinvite.test', password: 'long-enough-pw' }), 400, 'InvalidInviteCode')
      await expectXrpcError(
        agent.com.atproto.server.createAccount({ handle: 'badinvite.test', password: 'long-enough-pw', inviteCode: 'not-a-real-code' }),
        400,
        'InvalidInviteCode',
      )
      const code = server.pds.ctx.invites.create(1)
      const ok = await agent.com.atproto.server.createAccount({ handle: 'invited.test', password: 'long-enough-pw', inviteCode: code })
      expect(ok.data.handle).toBe('invited.test')
      await expectXrpcError(
        server.agent().com.atproto.server.createAccount({ handle: 'invited2.test', password: 'long-enough-pw', inviteCode: code }),
        400,
        'InvalidInviteCode',
      )
      expect(server.pds.ctx.invites.list().find((i) => i.code === code)).toMatchObject({ availableUses: 1, uses: 1 })

      const disabled = server.pds.ctx.invites.create(5)
      server.pds.ctx.invites.disable(disabled)
      await expectXrpcError(
        server.agent().com.atproto.server.createAccount({ handle: 'disabled.test', password: 'long-enough-pw', inviteCode: disabled }),
        400,
        'InvalidInviteCode',
      )
    })
  })

  it('with registration "closed", makes no account, invite code or not', async () => {
    await withRegistration('closed', async () => {
      const code = server.pds.ctx.invites.create(1)
      const lastSeq = server.pds.ctx.eventLog.lastSeq()
      await expectXrpcError(
        server.agent().com.atproto.server.createAccount({ handle: 'closed.test', password: 'long-enough-pw', inviteCode: code }),
        403,
        'Forbidden',
      )
      expect(server.pds.ctx.eventLog.lastSeq()).toBe(lastSeq)
      expect(server.pds.ctx.accounts.getByHandle('closed.test')).toBeNull()
    })
  })
})

describe('sessions', () => {
  let alice: TestAccount
  beforeAll(async () => {
    alice = await server.createAccount('alice')
  })

  it('createSession accepts the handle, the DID or the email with the password', async () => {
    for (const identifier of [alice.handle, alice.did, `${alice.handle}@example.com`, alice.handle.toUpperCase()]) {
      const agent = new AtpAgent({ service: server.url })
      const res = await agent.login({ identifier, password: alice.password })
      expect(res.data).toMatchObject({ did: alice.did, handle: alice.handle, active: true, email: `${alice.handle}@example.com` })
      expect((res.data.didDoc as { id: string }).id).toBe(alice.did)
    }
  })

  it('createSession refuses a wrong password and an unknown account alike', async () => {
    const wrong = await expectXrpcError(
      new AtpAgent({ service: server.url }).login({ identifier: alice.handle, password: 'wrong-password' }),
      401,
      'AuthenticationRequired',
    )
    const unknown = await expectXrpcError(
      new AtpAgent({ service: server.url }).login({ identifier: 'nobody.test', password: 'wrong-password' }),
      401,
      'AuthenticationRequired',
    )
    expect(wrong.message).toBe(unknown.message)
  })

  it('getSession describes the caller', async () => {
    const res = await alice.agent.com.atproto.server.getSession()
    expect(res.data).toMatchObject({ did: alice.did, handle: alice.handle, email: `${alice.handle}@example.com`, active: true })
    expect((res.data.didDoc as { id: string }).id).toBe(alice.did)
    await expectXrpcError(server.agent().com.atproto.server.getSession(), 401, 'AuthenticationRequired')
  })

  it('refreshSession gives new tokens, and a refresh token works only once', async () => {
    const agent = new AtpAgent({ service: server.url })
    await agent.login({ identifier: alice.handle, password: alice.password })
    const first = agent.session!.refreshJwt
    const next = await refreshWith(first)
    expect(next.data).toMatchObject({ did: alice.did, handle: alice.handle, active: true })
    expect(next.data.refreshJwt).not.toBe(first)
    await expectXrpcError(refreshWith(first), 401, 'ExpiredToken')
    // The new pair works.
    const me = await server.agent().com.atproto.server.getSession(undefined, { headers: { authorization: `Bearer ${next.data.accessJwt}` } })
    expect(me.data.did).toBe(alice.did)
    const again = await refreshWith(next.data.refreshJwt)
    expect(again.data.did).toBe(alice.did)
    // An access token is not a refresh token, nor the other way round.
    await expectXrpcError(refreshWith(again.data.accessJwt), 401, 'InvalidToken')
    await expectXrpcError(
      server.agent().com.atproto.server.getSession(undefined, { headers: { authorization: `Bearer ${again.data.refreshJwt}` } }),
      401,
      'InvalidToken',
    )
  })

  it('AtpAgent refreshes by itself when its access token has expired', async () => {
    const agent = new AtpAgent({ service: server.url })
    await agent.login({ identifier: alice.handle, password: alice.password })
    const secret = fs.readFileSync(path.join(server.dataDir, 'secrets', 'jwt-secret'), 'utf8').trim()
    const past = Math.floor(Date.now() / 1000) - 3600
    const expired = await new SignJWT({ scope: 'com.atproto.access' })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setSubject(alice.did)
      .setAudience(server.pds.ctx.config.serviceDid)
      .setIssuedAt(past - 60)
      .setExpirationTime(past)
      .sign(new TextEncoder().encode(secret))
    await expectXrpcError(
      server.agent().com.atproto.server.getSession(undefined, { headers: { authorization: `Bearer ${expired}` } }),
      400,
      'ExpiredToken',
    )
    const oldRefresh = agent.session!.refreshJwt
    agent.session!.accessJwt = expired
    const res = await agent.com.atproto.server.getSession()
    expect(res.data.did).toBe(alice.did)
    expect(agent.session!.accessJwt).not.toBe(expired)
    expect(agent.session!.refreshJwt).not.toBe(oldRefresh)
  })

  it('deleteSession ends the session: its refresh token stops working', async () => {
    const agent = new AtpAgent({ service: server.url })
    await agent.login({ identifier: alice.handle, password: alice.password })
    const refreshJwt = agent.session!.refreshJwt
    await agent.logout()
    expect(agent.session).toBeUndefined()
    await expectXrpcError(refreshWith(refreshJwt), 401, 'ExpiredToken')
    // deleteSession needs the refresh token, not the access token.
    const other = new AtpAgent({ service: server.url })
    await other.login({ identifier: alice.handle, password: alice.password })
    await expectXrpcError(
      server.agent().com.atproto.server.deleteSession(undefined, { headers: { authorization: `Bearer ${other.session!.accessJwt}` } }),
      401,
      'InvalidToken',
    )
    await expectXrpcError(server.agent().com.atproto.server.deleteSession(), 401, 'AuthenticationRequired')
  })
})

describe('app passwords', () => {
  let bob: TestAccount
  beforeAll(async () => {
    bob = await server.createAccount('bob')
  })

  it('are created once in plaintext, listed without it, and log in like the password', async () => {
    const created = await bob.agent.com.atproto.server.createAppPassword({ name: 'my client' })
    expect(created.data.name).toBe('my client')
    expect(created.data.password).toMatch(/^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/)
    expect(created.data.privileged).toBe(false)
    expect(Date.parse(created.data.createdAt)).not.toBeNaN()

    const listed = await bob.agent.com.atproto.server.listAppPasswords()
    expect(listed.data.passwords).toEqual([{ name: 'my client', privileged: false, createdAt: created.data.createdAt }])
    expect(JSON.stringify(listed.data)).not.toContain(created.data.password)

    await expectXrpcError(bob.agent.com.atproto.server.createAppPassword({ name: 'my client' }), 400, 'DuplicateName')

    const client = new AtpAgent({ service: server.url })
    await client.login({ identifier: bob.handle, password: created.data.password })
    const me = await client.com.atproto.server.getSession()
    expect(me.data.did).toBe(bob.did)
    const post = await client.com.atproto.repo.createRecord({
      repo: bob.did,
      collection: 'app.bsky.feed.post',
      record: { $type: 'app.bsky.feed.post', text: 'from an app password', createdAt: new Date().toISOString() },
    })
    expect(post.data.uri).toContain(bob.did)
  })

  it('an app-password session can neither make nor revoke app passwords; a privileged one can', async () => {
    const created = await bob.agent.com.atproto.server.createAppPassword({ name: 'limited' })
    const client = new AtpAgent({ service: server.url })
    await client.login({ identifier: bob.handle, password: created.data.password })
    await expectXrpcError(client.com.atproto.server.createAppPassword({ name: 'sneaky' }), 403, 'InvalidToken')
    await expectXrpcError(client.com.atproto.server.revokeAppPassword({ name: 'my client' }), 403, 'InvalidToken')
    const names = (await bob.agent.com.atproto.server.listAppPasswords()).data.passwords.map((p) => p.name)
    expect(names).not.toContain('sneaky')
    expect(names).toContain('my client')
    // A privileged app password may.
    const privileged = await bob.agent.com.atproto.server.createAppPassword({ name: 'admin tool', privileged: true })
    const admin = new AtpAgent({ service: server.url })
    await admin.login({ identifier: bob.handle, password: privileged.data.password })
    const made = await admin.com.atproto.server.createAppPassword({ name: 'made by admin tool' })
    expect(made.data.name).toBe('made by admin tool')
  })

  it('revoking one ends its sessions: no new login, no refresh, no more calls', async () => {
    const created = await bob.agent.com.atproto.server.createAppPassword({ name: 'to revoke' })
    const client = new AtpAgent({ service: server.url })
    await client.login({ identifier: bob.handle, password: created.data.password })
    const { accessJwt, refreshJwt } = client.session!
    // A second session through the same app password, also to be ended.
    const second = new AtpAgent({ service: server.url })
    await second.login({ identifier: bob.handle, password: created.data.password })

    await bob.agent.com.atproto.server.revokeAppPassword({ name: 'to revoke' })
    const names = (await bob.agent.com.atproto.server.listAppPasswords()).data.passwords.map((p) => p.name)
    expect(names).not.toContain('to revoke')

    await expectXrpcError(new AtpAgent({ service: server.url }).login({ identifier: bob.handle, password: created.data.password }), 401, 'AuthenticationRequired')
    await expectXrpcError(refreshWith(refreshJwt), 401, 'ExpiredToken')
    await expectXrpcError(
      server.agent().com.atproto.repo.createRecord(
        {
          repo: bob.did,
          collection: 'app.bsky.feed.post',
          record: { $type: 'app.bsky.feed.post', text: 'after revoke', createdAt: new Date().toISOString() },
        },
        { headers: { authorization: `Bearer ${accessJwt}` } },
      ),
      401,
      'InvalidToken',
    )
    // The agent tries to refresh on the 401, fails, and drops its session.
    await expectXrpcError(second.com.atproto.server.getSession(), 401, 'InvalidToken')
    expect(second.session).toBeUndefined()
    // The account password and other sessions are untouched.
    const me = await bob.agent.com.atproto.server.getSession()
    expect(me.data.did).toBe(bob.did)
  })

  it('a new app password with a revoked one\'s name does not revive the old sessions', async () => {
    const first = await bob.agent.com.atproto.server.createAppPassword({ name: 'reused name' })
    const client = new AtpAgent({ service: server.url })
    await client.login({ identifier: bob.handle, password: first.data.password })
    const oldAccess = client.session!.accessJwt
    await bob.agent.com.atproto.server.revokeAppPassword({ name: 'reused name' })
    // Issued-at has one-second resolution: make the new password strictly later.
    await new Promise((r) => setTimeout(r, 1100))
    const second = await bob.agent.com.atproto.server.createAppPassword({ name: 'reused name' })
    const withOld = server.agent().com.atproto.server.getSession(undefined, { headers: { authorization: `Bearer ${oldAccess}` } })
    await expectXrpcError(withOld, 401, 'InvalidToken')
    const fresh = new AtpAgent({ service: server.url })
    await fresh.login({ identifier: bob.handle, password: second.data.password })
    expect((await fresh.com.atproto.server.getSession()).data.did).toBe(bob.did)
  })
})

/**
 * `npm start` with nothing configured: only a data folder and a port. The
 * server runs its own PLC directory and makes its own secrets; an account
 * made then is still the same after a restart (same DID, same DID document
 * from the embedded PLC, old tokens still good), and nothing in the data
 * folder can be read by other users. A bad setting stops start-up with a
 * message that names the variable.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AtpAgent } from '@atproto/api'
import { Secp256k1Keypair } from '@atproto/crypto'
import { InviteCodes } from '../src/account/invite-codes.js'
import { SigningKeyVault } from '../src/account/signing-key-vault.js'
import { PlcDirectory } from '../src/identity/plc-directory.js'
import { startEmbeddedPlc } from '../src/identity/embedded-plc.js'
import { freePort } from './helpers/test-server.js'
import { runChildServerToExit, startChildServer, type ChildServer } from './helpers/child-server.js'

/** Every file and folder under `dir` (and `dir` itself) whose mode lets group or others in. */
function openToOthers(dir: string): string[] {
  const out: string[] = []
  const visit = (p: string) => {
    const st = fs.statSync(p)
    if ((st.mode & 0o077) !== 0) out.push(`${path.relative(dir, p) || '.'} ${(st.mode & 0o777).toString(8)}`)
    if (st.isDirectory()) for (const name of fs.readdirSync(p)) visit(path.join(p, name))
  }
  visit(dir)
  return out
}

/** Every path under `dir`, relative. */
function allPaths(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map(String).sort()
}

/** Every file under `dir` whose bytes contain `needle`. */
function filesContaining(dir: string, needle: Buffer): string[] {
  return allPaths(dir).filter((p) => {
    const file = path.join(dir, p)
    return fs.statSync(file).isFile() && fs.readFileSync(file).includes(needle)
  })
}

/**
 * The account's private signing key, recovered the way only the server can:
 * its sealed row opened with the key-encryption key from the secrets folder.
 */
function accountPrivateKey(dataDir: string, did: string): Buffer {
  const kek = Buffer.from(fs.readFileSync(path.join(dataDir, 'secrets', 'key-encryption-key'), 'utf8').trim(), 'hex')
  const db = new Database(path.join(dataDir, 'hearth.sqlite'), { readonly: true })
  const sealed = db.prepare('SELECT signing_key_enc FROM account WHERE did = ?').pluck().get(did) as Buffer
  db.close()
  return Buffer.from(new SigningKeyVault(kek).open(did, sealed))
}

/** The embedded PLC's URL, from the server's log line. */
async function plcUrlFromLogs(child: ChildServer): Promise<string> {
  const line = await child.waitForLog((l) => typeof l.plcUrl === 'string')
  return line.plcUrl as string
}

async function fetchJson(url: string) {
  const res = await fetch(url)
  expect(res.status, url).toBe(200)
  return res.json()
}

describe('restart with nothing configured', () => {
  let tmp: string
  let dataDir: string
  let env: Record<string, string>
  let child: ChildServer | undefined

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-restart-'))
    // Not created yet: the server makes it.
    dataDir = path.join(tmp, 'data')
    env = { HEARTH_DATA_DIR: dataDir, HEARTH_PORT: String(await freePort()) }
  })

  afterAll(async () => {
    await child?.kill('SIGKILL')
    fs.rmSync(tmp, { recursive: true, force: true })
  })

  it('keeps the account, its DID document and its tokens; the data folder is private', async () => {
    child = await startChildServer(env)
    const plcUrl = await plcUrlFromLogs(child)
    expect(plcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)

    // Registration defaults to invite-only: without a code there is no account.
    const agent = new AtpAgent({ service: child.url })
    await expect(
      agent.createAccount({ handle: 'nocode.test', password: 'restart-password', email: 'nocode@example.com' }),
    ).rejects.toThrow()
    // An invite, made with Hearth's own InviteCodes on the live database (WAL lets a second connection write).
    const db = new Database(path.join(dataDir, 'hearth.sqlite'))
    db.pragma('busy_timeout = 5000')
    const inviteCode = new InviteCodes(db, 'localhost').create(1)
    db.close()

    await agent.createAccount({ handle: 'keeper.test', password: 'restart-password', email: 'keeper@example.com', inviteCode })
    const { did, accessJwt, refreshJwt } = agent.session!
    const image = await agent.com.atproto.repo.uploadBlob(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]), {
      encoding: 'image/png',
    })
    const created = await agent.com.atproto.repo.createRecord({
      repo: did,
      collection: 'app.bsky.feed.post',
      record: {
        $type: 'app.bsky.feed.post',
        text: 'before the restart',
        createdAt: new Date().toISOString(),
        embed: { $type: 'app.bsky.embed.images', images: [{ alt: 'a picture', image: image.data.blob }] },
      },
    })
    const docBefore = await fetchJson(`${plcUrl}/${did}`)
    const auditBefore = await fetchJson(`${plcUrl}/${did}/log/audit`)
    const plcData = await fetchJson(`${plcUrl}/${did}/data`)
    expect(docBefore.id).toBe(did)
    expect(docBefore.alsoKnownAs).toEqual(['at://keeper.test'])

    // While it runs, with the SQLite WAL and shared-memory files present.
    const files = allPaths(dataDir)
    expect(files).toEqual(expect.arrayContaining(['hearth.sqlite', 'hearth.sqlite-wal', 'hearth.sqlite-shm', path.join('plc', 'operations.jsonl')]))
    expect(files.some((f) => f.startsWith('blobs') && f.endsWith(image.data.blob.ref.toString()))).toBe(true)
    expect(openToOthers(dataDir)).toEqual([])

    expect(await child.kill('SIGTERM')).toMatchObject({ code: 0 })
    child = await startChildServer(env)
    const plcUrlAfter = await plcUrlFromLogs(child)

    // Same DID document and history, served by the embedded PLC after its restart.
    expect(await fetchJson(`${plcUrlAfter}/${did}`)).toEqual(docBefore)
    expect(await fetchJson(`${plcUrlAfter}/${did}/log/audit`)).toEqual(auditBefore)

    // The old access token still works; the old refresh token refreshes.
    const session = await fetch(`${child.url}/xrpc/com.atproto.server.getSession`, {
      headers: { authorization: `Bearer ${accessJwt}` },
    })
    expect(session.status).toBe(200)
    expect(await session.json()).toMatchObject({ did, handle: 'keeper.test' })
    const refreshed = await fetch(`${child.url}/xrpc/com.atproto.server.refreshSession`, {
      method: 'POST',
      headers: { authorization: `Bearer ${refreshJwt}` },
    })
    expect(refreshed.status).toBe(200)
    expect(await refreshed.json()).toMatchObject({ did, handle: 'keeper.test' })

    // Same handle → DID, same record, and the account can still sign new commits.
    const after = new AtpAgent({ service: child.url })
    expect((await after.com.atproto.identity.resolveHandle({ handle: 'keeper.test' })).data.did).toBe(did)
    const rkey = created.data.uri.split('/').pop()!
    const got = await after.com.atproto.repo.getRecord({ repo: did, collection: 'app.bsky.feed.post', rkey })
    expect(got.data.cid).toBe(created.data.cid)
    const blob = await after.com.atproto.sync.getBlob({ did, cid: image.data.blob.ref.toString() })
    expect(Buffer.from(blob.data)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]))
    await after.login({ identifier: 'keeper.test', password: 'restart-password' })
    await after.com.atproto.repo.createRecord({
      repo: did,
      collection: 'app.bsky.feed.post',
      record: { $type: 'app.bsky.feed.post', text: 'after the restart', createdAt: new Date().toISOString() },
    })

    expect(openToOthers(dataDir)).toEqual([])
    const output = child.output()
    expect(await child.kill('SIGTERM')).toMatchObject({ code: 0 })
    child = undefined
    expect(openToOthers(dataDir)).toEqual([])

    // The signing key is nowhere in plaintext: not in any file of the data folder, not in the logs.
    const privateKey = accountPrivateKey(dataDir, did)
    // (It is the key the DID document names, so this looks for the right bytes.)
    expect((await Secp256k1Keypair.import(privateKey)).did()).toBe(plcData.verificationMethods.atproto)
    for (const needle of [privateKey, Buffer.from(privateKey.toString('hex')), Buffer.from(privateKey.toString('base64'))]) {
      expect(filesContaining(dataDir, needle)).toEqual([])
      expect(output.includes(needle.toString('latin1'))).toBe(false)
    }
  })
})

describe('the embedded PLC directory across restarts', () => {
  let dir: string
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-plc-'))
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it('keeps documents, history and its times, and survives a line torn by a crash', async () => {
    const rotationKey = await Secp256k1Keypair.create({ exportable: true })
    const signingKey = (await Secp256k1Keypair.create()).did()
    const create = async (plcUrl: string, handle: string) => {
      const plc = await PlcDirectory.create(plcUrl, await rotationKey.export())
      return { plc, did: await plc.createDid({ signingKeyDid: signingKey, handle, pdsUrl: 'http://localhost:2583' }) }
    }

    let server = await startEmbeddedPlc({ dir })
    const first = await create(server.url, 'first.test')
    await first.plc.updateHandle(first.did, 'renamed.test')
    const auditBefore = await fetchJson(`${server.url}/${first.did}/log/audit`)
    expect(auditBefore).toHaveLength(2)
    await server.close()

    // A crash in the middle of an append leaves half a line with no newline.
    const log = path.join(dir, 'operations.jsonl')
    fs.appendFileSync(log, '{"did":"did:plc:torn","operation":{"ty')

    server = await startEmbeddedPlc({ dir })
    expect(await fetchJson(`${server.url}/${first.did}/log/audit`)).toEqual(auditBefore)
    const second = await create(server.url, 'second.test')
    await server.close()

    server = await startEmbeddedPlc({ dir })
    expect(await fetchJson(`${server.url}/${first.did}/log/audit`)).toEqual(auditBefore)
    expect((await fetchJson(`${server.url}/${first.did}`)).alsoKnownAs).toEqual(['at://renamed.test'])
    expect((await fetchJson(`${server.url}/${second.did}`)).alsoKnownAs).toEqual(['at://second.test'])
    expect((await fetch(`${server.url}/did:plc:torn`)).status).toBe(404)
    await server.close()
    expect(fs.statSync(log).mode & 0o077).toBe(0)
  })
})

describe('a bad setting stops start-up and names the variable', () => {
  // Each case starts a process: a few here, the rest of the parsing is in src/config.test.ts.
  const cases: [string, string][] = [
    ['HEARTH_PORT', 'abc'],
    ['HEARTH_REGISTRATION', 'maybe'],
    ['HEARTH_PLC_URL', 'not a url'],
  ]
  for (const [name, value] of cases) {
    it(`${name}=${value}`, async () => {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-badenv-'))
      const dataDir = path.join(tmp, 'data')
      try {
        const result = await runChildServerToExit({ HEARTH_DATA_DIR: dataDir, HEARTH_PORT: '2583', [name]: value })
        expect(result.code).not.toBe(0)
        expect(result.code).not.toBeNull()
        expect(result.output).toContain(name)
        // Nothing was made: the configuration is checked before the data folder is touched.
        expect(fs.existsSync(dataDir)).toBe(false)
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true })
      }
    })
  }
})

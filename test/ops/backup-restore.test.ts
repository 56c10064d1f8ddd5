/**
 * Online backup while writes go on, restore into a new folder, start: every
 * repository verifies against its DID document key (from the restored
 * embedded PLC directory), blobs and passwords came along, and the firehose
 * goes on with seq above the last one served before the backup.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { decodeAll } from '@atproto/lex-cbor'
import { AtpAgent } from '@atproto/api'
import { IdResolver } from '@atproto/identity'
import { verifyRepoCar } from '@atproto/repo'
import { startTestServer, type TestServer } from '../helpers/test-server.js'
import { runCli } from './cli-helper.js'

const POST = 'app.bsky.feed.post'

describe('backup and restore', () => {
  let work: string
  let servers: TestServer[] = []
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-bk-'))
  })
  afterAll(async () => {
    for (const s of servers) await s.close().catch(() => {})
    fs.rmSync(work, { recursive: true, force: true })
  })

  it('backup under load, restore, start: repos verify, blobs and sign-in work, seq continues upward', async () => {
    // The embedded PLC directory (no HEARTH_PLC_URL): its operations log is part of the backup.
    const a = await startTestServer({ dataDir: path.join(work, 'a'), config: { plcUrl: undefined } })
    servers.push(a)
    expect(a.pds.ctx.embeddedPlc).not.toBeNull()
    const users = [await a.createAccount('alice'), await a.createAccount('bob')]
    const blobBytes = Buffer.from('a small blob that must survive the restore')
    const blob = await users[0].agent.uploadBlob(blobBytes, { encoding: 'text/plain' })
    await users[0].agent.com.atproto.repo.createRecord({
      repo: users[0].did,
      collection: 'com.example.file',
      record: { $type: 'com.example.file', file: blob.data.blob },
    })
    for (const u of users) {
      for (let i = 0; i < 5; i++) {
        await u.agent.com.atproto.repo.createRecord({ repo: u.did, collection: POST, record: { $type: POST, text: `${u.handle} ${i}`, createdAt: new Date().toISOString() } })
      }
    }

    // Writes keep landing while the backup runs.
    let writing = true
    const background = (async () => {
      for (let i = 0; writing; i++) {
        await users[1].agent.com.atproto.repo.createRecord({ repo: users[1].did, collection: POST, record: { $type: POST, text: `during ${i}`, createdAt: new Date().toISOString() } })
      }
    })()
    const backupDir = path.join(work, 'backup')
    const backup = await runCli(a.pds.controlSocket!, ['backup', backupDir])
    writing = false
    await background
    expect(backup.code, backup.stderr).toBe(0)
    const manifest = backup.json
    expect(manifest).toMatchObject({ format: 'hearth-backup-1', accounts: 2, plcOperations: true, blobs: { files: 1 } })
    expect(manifest.secrets.sort()).toEqual(['jwt-secret', 'key-encryption-key', 'plc-rotation-key'])
    // Every event up to the backup's last seq has been served (written and announced) by now.
    expect(manifest.lastSeq).toBeGreaterThan(0)
    expect(a.pds.ctx.eventLog.lastSeq()).toBeGreaterThanOrEqual(manifest.lastSeq)
    const passwords = new Map(users.map((u) => [u.did, u.password]))
    await a.close()
    servers = []

    const restoredDir = path.join(work, 'restored')
    const restore = await runCli(path.join(work, 'no.sock'), ['restore', backupDir, restoredDir])
    expect(restore.code, restore.stderr).toBe(0)
    expect(fs.statSync(restoredDir).mode & 0o777).toBe(0o700)

    // Same public URL as before: DID documents name it as the accounts' PDS.
    const b = await startTestServer({ dataDir: restoredDir, config: { plcUrl: undefined, port: Number(new URL(a.url).port) } })
    servers.push(b)
    const resolver = new IdResolver({ plcUrl: b.pds.ctx.plc.url })
    const reader = b.agent()
    for (const u of users) {
      const car = await reader.com.atproto.sync.getRepo({ did: u.did })
      const key = await resolver.did.resolveAtprotoKey(u.did)
      const verified = await verifyRepoCar(car.data, u.did, key)
      expect(verified.creates.filter((c) => c.collection === POST).length).toBeGreaterThanOrEqual(5)
      const agent = new AtpAgent({ service: b.url })
      await agent.login({ identifier: u.did, password: passwords.get(u.did)! })
      expect(agent.session?.did).toBe(u.did)
    }
    const got = await reader.com.atproto.sync.getBlob({ did: users[0].did, cid: blob.data.blob.ref.toString() })
    expect(Buffer.from(got.data)).toEqual(blobBytes)

    // The firehose goes on above the backup's last seq.
    expect(b.pds.ctx.eventLog.lastSeq()).toBe(manifest.lastSeq)
    const ws = new WebSocket(`${b.url.replace('http', 'ws')}/xrpc/com.atproto.sync.subscribeRepos`)
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    let frame: Buffer
    try {
      const next = new Promise<Buffer>((resolve) => ws.once('message', (data) => resolve(data as Buffer)))
      const agent = new AtpAgent({ service: b.url })
      await agent.login({ identifier: users[0].did, password: users[0].password })
      await agent.com.atproto.repo.createRecord({ repo: users[0].did, collection: POST, record: { $type: POST, text: 'after restore', createdAt: new Date().toISOString() } })
      frame = await next
    } finally {
      ws.close()
    }
    const [header, body] = [...decodeAll(frame)] as [{ t: string }, { seq: number }]
    expect(header.t).toBe('#commit')
    expect(body.seq).toBeGreaterThan(manifest.lastSeq)
  })

  it('restore refuses a folder that is not a finished backup', async () => {
    const half = path.join(work, 'half')
    fs.mkdirSync(half)
    fs.writeFileSync(path.join(half, 'hearth.sqlite'), '')
    const res = await runCli(path.join(work, 'no.sock'), ['restore', half, path.join(work, 'target')])
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(/not a finished Hearth backup/)
    expect(fs.existsSync(path.join(work, 'target'))).toBe(false)
  })
})

/**
 * `hearth-cli migrate` moves an account from the reference PDS into a
 * Hearth running as its own process, and finishes a move that was cut
 * short: Hearth is killed (SIGKILL) while the blobs are half uploaded,
 * started again, and the same command resumes (the account already made,
 * the repository again, only the missing blobs), stops at the PLC step
 * saying what is left, and completes with --plc-token.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import crypto from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AtpAgent } from '@atproto/api'
import { IdResolver } from '@atproto/identity'
import type { TestPds } from '@atproto/dev-env'
import { freePort, startTestPlc } from '../helpers/test-server.js'
import { startChildServer, type ChildServer } from '../helpers/child-server.js'
import type { EmbeddedPlc } from '../../src/identity/embedded-plc.js'
import { runCli } from '../ops/cli-helper.js'
import { recordCids, referencePlcToken, startReferencePds } from './reference-pds.js'

const BLOBS = 40
const BLOB_BYTES = 256 * 1024

describe('hearth-cli migrate', () => {
  let plc: EmbeddedPlc
  let reference: TestPds
  let hearth: ChildServer
  let env: Record<string, string>
  let dataDir: string
  let old: AtpAgent
  let did: string
  let before: Record<string, string>
  const blobCids: string[] = []
  let seventh: Buffer
  const password = 'cli-mover-password'

  beforeAll(async () => {
    plc = await startTestPlc()
    reference = await startReferencePds(plc.url)
    old = new AtpAgent({ service: reference.url })
    await old.createAccount({ handle: 'climover.test', password, email: 'climover@example.com' })
    did = old.session!.did
    for (let i = 0; i < BLOBS; i++) {
      const bytes = crypto.randomBytes(BLOB_BYTES)
      if (i === 7) seventh = bytes
      const blob = (await old.com.atproto.repo.uploadBlob(bytes, { encoding: 'application/octet-stream' })).data.blob
      blobCids.push(blob.ref.toString())
      await old.com.atproto.repo.createRecord({ repo: did, collection: 'com.example.file', record: { $type: 'com.example.file', n: i, file: blob } })
    }
    await old.com.atproto.repo.createRecord({ repo: did, collection: 'app.bsky.feed.post', record: { $type: 'app.bsky.feed.post', text: 'moving by command', createdAt: new Date().toISOString() } })
    before = await recordCids(old, did)

    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-mig-'))
    const port = await freePort()
    env = {
      HEARTH_DATA_DIR: dataDir,
      HEARTH_PORT: String(port),
      HEARTH_HOST: '127.0.0.1',
      HEARTH_PUBLIC_URL: `http://localhost:${port}`,
      HEARTH_PLC_URL: plc.url,
      HEARTH_HANDLE_DOMAIN: '.test',
      // Invite-only, the default: the command makes its own invite through the control socket.
      HEARTH_REGISTRATION: 'invite',
      HEARTH_RATE_LIMITS: 'off',
      HEARTH_LOG_LEVEL: 'info',
    }
    hearth = await startChildServer(env)
  }, 180_000)

  afterAll(async () => {
    await hearth?.kill('SIGKILL')
    await reference?.close()
    await plc?.close()
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
  })

  const socket = () => path.join(dataDir, 'control.sock')
  const migrateArgs = (...extra: string[]) => ['migrate', '--from', reference.url, '--handle', 'climover.test', '--password', password, '--to', env.HEARTH_PUBLIC_URL, ...extra]
  const uploadsLogged = () => hearth.logs().filter((l) => l.path === '/xrpc/com.atproto.repo.uploadBlob' && l.status === 200).length

  it('is killed halfway through the blobs, resumes, and finishes with the PLC code', async () => {
    // 1. Cut short: Hearth dies while the command uploads blobs.
    const first = runCli(socket(), migrateArgs())
    const deadline = Date.now() + 120_000
    while (uploadsLogged() < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    await hearth.kill('SIGKILL')
    const cut = await first
    expect(cut.code).toBe(1)
    expect(cut.stderr).toContain('migrate: imported the repository')

    hearth = await startChildServer(env)
    const here = new AtpAgent({ service: hearth.url })
    await here.login({ identifier: did, password })
    const halfway = (await here.com.atproto.server.checkAccountStatus()).data
    expect(halfway.activated).toBe(false)
    expect(halfway.expectedBlobs).toBe(BLOBS)
    expect(halfway.importedBlobs).toBeGreaterThanOrEqual(3)
    expect(halfway.importedBlobs).toBeLessThan(BLOBS)

    // 2. The same command resumes: only the missing blobs, then it waits for the code.
    const second = await runCli(socket(), migrateArgs())
    expect(second.code, second.stderr).toBe(0)
    expect(second.json).toMatchObject({ did, done: false, records: BLOBS + 1, blobs: { expected: BLOBS, missing: 0, uploadedNow: BLOBS - halfway.importedBlobs } })
    expect(second.json.steps[0]).toContain('signed in to the account already made here')
    expect(second.json.left[0]).toContain('--plc-token')
    expect(second.stderr).toMatch(/migrate: blobs \d+\/\d+/)
    // Nothing has moved yet: the DID document still names the old server, which still works.
    expect((await new IdResolver({ plcUrl: plc.url }).did.resolveAtprotoData(did, true)).pds).toBe(reference.url)
    expect((await old.com.atproto.sync.getRepoStatus({ did })).data.active).toBe(true)

    // 3. With the mailed code, it finishes.
    const third = await runCli(socket(), migrateArgs('--plc-token', await referencePlcToken(reference, did)))
    expect(third.code, third.stderr).toBe(0)
    expect(third.json).toMatchObject({ did, done: true, left: [], blobs: { missing: 0, uploadedNow: 0 } })
    expect((await new IdResolver({ plcUrl: plc.url }).did.resolveAtprotoData(did, true)).pds).toBe(env.HEARTH_PUBLIC_URL)
    expect((await old.com.atproto.sync.getRepoStatus({ did })).data).toMatchObject({ active: false, status: 'deactivated' })

    // Nothing lost, nothing doubled.
    const reader = new AtpAgent({ service: hearth.url })
    expect(await recordCids(reader, did)).toEqual(before)
    const listed: string[] = []
    let cursor: string | undefined
    do {
      const page = (await reader.com.atproto.sync.listBlobs({ did, cursor, limit: 100 })).data
      listed.push(...page.cids)
      cursor = page.cids.length === 100 ? page.cursor : undefined
    } while (cursor)
    expect(listed.sort()).toEqual([...blobCids].sort())
    const one = await reader.com.atproto.sync.getBlob({ did, cid: blobCids[7] })
    expect(Buffer.from(one.data).equals(seventh)).toBe(true)
    // Each import logged its steps (this process ran the second and third runs' imports: until activation every run imports again).
    const steps = ['importRepo: CAR read, verifying', 'importRepo: tree verified, storing', 'importRepo: done']
    expect(hearth.logs().filter((l) => String(l.msg).startsWith('importRepo:')).map((l) => l.msg)).toEqual([...steps, ...steps])
  }, 300_000)
})

/**
 * The blob behaviour tests (blob-behaviour.ts) against the data-folder
 * store, looking at the files themselves; and the collector running as
 * the background task it is.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import os from 'node:os'
import { AtpAgent } from '@atproto/api'
import { freePort, startTestPlc, startTestServer, type TestServer } from '../helpers/test-server.js'
import { startChildServer } from '../helpers/child-server.js'
import { blobStoreBehaviour } from './blob-behaviour.js'
import { diskSafeDid } from '../../src/blob/blob-store.js'

const list = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir) : [])

blobStoreBehaviour({
  name: 'data folder',
  env: () => ({}),
  finalCids: async (server, did) => list(path.join(server.dataDir, 'blobs', diskSafeDid(did))),
  tempObjects: async (server, did) => list(path.join(server.dataDir, 'blobs', 'tmp', diskSafeDid(did))),
})

describe('the collector as a background task (data folder)', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ env: { HEARTH_BLOB_TEMP_TTL: '1', HEARTH_BLOB_COLLECT_INTERVAL: '1' } })
  })
  afterAll(async () => {
    await server?.close({ removeData: true })
  })

  it('runs by itself, removes expired uploads and leftovers no row names, finishes moves a crash interrupted, and counts in /metrics', async () => {
    const ctx = server.pds.ctx
    const alice = await server.createAccount('alice')
    const loose = (await alice.agent.uploadBlob(crypto.randomBytes(100), { encoding: 'image/png' })).data.blob.ref.toString()
    // A leftover of a crash mid-upload: a temporary file no row names.
    const tmpDir = path.join(server.dataDir, 'blobs', 'tmp', diskSafeDid(alice.did))
    fs.mkdirSync(tmpDir, { recursive: true })
    const stray = path.join(tmpDir, 'ab'.repeat(16))
    fs.writeFileSync(stray, 'half an upload')
    const old = new Date(Date.now() - 60_000)
    fs.utimesSync(stray, old, old)
    // A referenced upload still at its temporary key (the server stopped between commit and move).
    const bytes = crypto.randomBytes(300)
    const up = await ctx.blobs.upload(alice.did, Readable.from([bytes]), { mimeType: 'image/png' })
    ctx.db.transaction(() => ctx.blobIndex.linkRecord(alice.did, `at://${alice.did}/com.example.file/1`, [up.cid], { requireBlobs: true }))()

    await eventually(() => {
      expect(ctx.blobIndex.get(alice.did, loose)).toBe(null)
      expect(fs.existsSync(stray)).toBe(false)
      expect(ctx.blobIndex.get(alice.did, up.cid)?.tempKey).toBe(null)
      // The file goes just after its row.
      expect(fs.readdirSync(tmpDir)).toEqual([])
    })
    expect(fs.readFileSync(path.join(server.dataDir, 'blobs', diskSafeDid(alice.did), up.cid)).equals(bytes)).toBe(true)
    const metrics = (await ctx.metrics.text()).body
    expect(metrics).toMatch(/hearth_blobs_collected_total\{reason="expired_upload"\} 1/)
    expect(metrics).toMatch(/hearth_blobs_collected_total\{reason="stray_upload"\} 1/)
    expect(metrics).toMatch(/hearth_blob_collector_runs_total\{result="ok"\} [1-9]/)
    expect(metrics).toMatch(/hearth_blobs_unreferenced\{kind="upload"\} 0/)
  })
})

describe('a deleted account whose blobs the store could not delete at once', () => {
  it('is remembered, and the collector deletes them on its next run', async () => {
    const server = await startTestServer()
    try {
      const ctx = server.pds.ctx
      const dave = await server.createAccount('dave')
      const up = await dave.agent.uploadBlob(crypto.randomBytes(400), { encoding: 'image/png' })
      await dave.agent.com.atproto.repo.createRecord({
        repo: dave.did,
        collection: 'com.example.file',
        record: { $type: 'com.example.file', file: up.data.blob, createdAt: new Date().toISOString() },
      })
      const folder = path.join(server.dataDir, 'blobs', diskSafeDid(dave.did))
      // The store refuses once (an object store that is down, a full disk).
      const deleteAccount = ctx.blobStore.deleteAccount.bind(ctx.blobStore)
      ctx.blobStore.deleteAccount = async () => {
        ctx.blobStore.deleteAccount = deleteAccount
        throw new Error('store unavailable')
      }
      const { AccountRemoval } = await import('../../src/ops/account-removal.js')
      await new AccountRemoval(ctx).remove(dave.did)
      expect(fs.readdirSync(folder)).toHaveLength(1)
      expect(ctx.blobIndex.pendingAccountPurges(10)).toEqual([dave.did])
      const report = await ctx.blobCollector.runNow()
      expect(report.deletedAccounts).toBe(1)
      expect(fs.existsSync(folder)).toBe(false)
      expect(ctx.blobIndex.pendingAccountPurges(10)).toEqual([])
    } finally {
      await server.close({ removeData: true })
    }
  })
})

describe('the collector logs what it removed', () => {
  it('one JSON log line per run that removed something, with the counts', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-collector-log-'))
    const plc = await startTestPlc()
    const port = await freePort()
    const child = await startChildServer({
      HEARTH_DATA_DIR: dataDir,
      HEARTH_PORT: String(port),
      HEARTH_PUBLIC_URL: `http://localhost:${port}`,
      HEARTH_PLC_URL: plc.url,
      HEARTH_REGISTRATION: 'open',
      HEARTH_LOG_LEVEL: 'info',
      HEARTH_BLOB_TEMP_TTL: '1',
      HEARTH_BLOB_COLLECT_INTERVAL: '1',
    })
    try {
      const agent = new AtpAgent({ service: child.url })
      await agent.createAccount({ handle: 'logged.test', password: 'logged-password', email: 'logged@example.com' })
      await agent.uploadBlob(crypto.randomBytes(123), { encoding: 'image/png' })
      const line = await child.waitForLog((l) => l.msg === 'blob collector removed unreferenced blobs', 30_000)
      expect(line).toMatchObject({ expiredUploads: 1, dereferenced: 0, bytes: 123 })
    } finally {
      await child.kill()
      await plc.close()
      fs.rmSync(dataDir, { recursive: true, force: true })
    }
  })
})

async function eventually(check: () => void, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (true) {
    try {
      return check()
    } catch (err) {
      if (Date.now() > deadline) throw err
      await new Promise((r) => setTimeout(r, 250))
    }
  }
}

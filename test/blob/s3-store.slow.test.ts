/**
 * The blob behaviour tests (blob-behaviour.ts) against a real S3-compatible
 * object store: Ceph's object gateway, started on loopback for this file
 * (a few seconds; `.slow` in the name for that). The bucket is looked at
 * through the S3 API with a plain SDK client, not through Hearth's store.
 * Also: moving every blob from the data folder to S3 and back, each CID
 * checked, and backups saying S3 blobs are not in them.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blobStoreBehaviour } from './blob-behaviour.js'
import { startCephRgw, type CephRgw } from '../helpers/ceph/ceph-rgw.js'
import { startTestPlc, startTestServer } from '../helpers/test-server.js'
import { runCli } from '../ops/cli-helper.js'
import { blobCid } from '../../src/blob/upload-meter.js'
import { diskSafeDid } from '../../src/blob/blob-store.js'
import type { EmbeddedPlc } from '../../src/identity/embedded-plc.js'

let ceph: CephRgw
let bucket: string

beforeAll(async () => {
  ceph = await startCephRgw()
  bucket = await ceph.createBucket()
}, 180_000)
afterAll(async () => {
  await ceph?.stop()
}, 60_000)

const cidsUnder = async (b: string, prefix: string) => (await ceph.keys(b, prefix)).map((k) => k.slice(prefix.length))

blobStoreBehaviour({
  name: "S3 (Ceph's object gateway)",
  env: () => ceph.hearthEnv(bucket),
  finalCids: (_server, did) => cidsUnder(bucket, `blobs/${did}/`),
  tempObjects: (_server, did) => cidsUnder(bucket, `tmp/${did}/`),
  openMultipartUploads: () => ceph.openMultipartUploads(bucket),
})

describe('moving blobs between the data folder and S3', () => {
  let plc: EmbeddedPlc
  beforeAll(async () => {
    plc = await startTestPlc()
  })
  afterAll(async () => {
    await plc?.close()
  })

  it('copies every blob to S3 with each CID verified, resumes without copying twice, serves from S3 after the switch, and moves back', async () => {
    const target = await ceph.createBucket()
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-move-'))
    const onDisk = await startTestServer({ plc, dataDir })
    const alice = await onDisk.createAccount('alice')
    const blobs: { cid: string; bytes: Buffer }[] = []
    for (const size of [1000, 70_000, 6 * 1024 * 1024 + 1]) {
      const bytes = crypto.randomBytes(size)
      const up = await alice.agent.uploadBlob(bytes, { encoding: 'image/jpeg' })
      await alice.agent.com.atproto.repo.createRecord({
        repo: alice.did,
        collection: 'com.example.file',
        record: { $type: 'com.example.file', file: up.data.blob, createdAt: new Date().toISOString() },
      })
      blobs.push({ cid: up.data.blob.ref.toString(), bytes })
    }
    // One upload no record uses yet: it moves too, into S3's temporary area.
    const pending = crypto.randomBytes(2000)
    const pendingBlob = (await alice.agent.uploadBlob(pending, { encoding: 'image/png' })).data.blob
    const env = { HEARTH_DATA_DIR: dataDir, ...ceph.hearthEnv(target) }

    // While the server runs on the data folder.
    const first = await runCli('/nonexistent.sock', ['blobs', 'move', '--to', 's3'], { env })
    expect(first.code, first.stderr).toBe(0)
    expect(first.json).toMatchObject({ total: 4, copied: 4, skipped: 0, missing: [], failed: [] })
    // Every object, read back through the S3 API, hashes to the CID it is named by.
    const keys = await ceph.keys(target, `blobs/${alice.did}/`)
    expect(keys.map((k) => k.split('/').pop()).sort()).toEqual(blobs.map((b) => b.cid).sort())
    for (const key of keys) expect(blobCid(await ceph.getObject(target, key))).toBe(key.split('/').pop())
    const temps = await ceph.keys(target, `tmp/${alice.did}/`)
    expect(temps).toHaveLength(1)
    expect(blobCid(await ceph.getObject(target, temps[0]))).toBe(pendingBlob.ref.toString())

    // Run again (after an interruption, or after the switch): nothing is copied twice; --verify re-hashes what is there.
    const again = await runCli('/nonexistent.sock', ['blobs', 'move', '--to', 's3', '--verify'], { env })
    expect(again.json).toMatchObject({ total: 4, copied: 0, skipped: 4, failed: [] })

    // Switch: the same data folder, now on S3.
    await onDisk.close()
    // Same port: the account's DID document names this server's URL.
    const onS3 = await startTestServer({ plc, dataDir, env: ceph.hearthEnv(target), config: { port: Number(new URL(onDisk.url).port) } })
    for (const b of blobs) {
      const res = await fetch(`${onS3.url}/xrpc/com.atproto.sync.getBlob?did=${alice.did}&cid=${b.cid}`)
      expect(Buffer.from(await res.arrayBuffer()).equals(b.bytes)).toBe(true)
    }
    // The pending upload can still be referenced after the switch.
    const agent = onS3.agent()
    await agent.login({ identifier: alice.handle, password: alice.password })
    await agent.com.atproto.repo.createRecord({
      repo: alice.did,
      collection: 'com.example.file',
      record: { $type: 'com.example.file', file: pendingBlob, createdAt: new Date().toISOString() },
    })
    expect(await cidsUnder(target, `blobs/${alice.did}/`)).toContain(pendingBlob.ref.toString())
    await onS3.close()

    // And back: into a data folder whose blob files are gone.
    fs.rmSync(path.join(dataDir, 'blobs'), { recursive: true })
    const back = await runCli('/nonexistent.sock', ['blobs', 'move', '--to', 'disk'], { env })
    expect(back.json).toMatchObject({ total: 4, copied: 4, failed: [], missing: [] })
    const folder = path.join(dataDir, 'blobs', diskSafeDid(alice.did))
    for (const name of fs.readdirSync(folder)) expect(blobCid(fs.readFileSync(path.join(folder, name)))).toBe(name)
    expect(fs.readdirSync(folder)).toHaveLength(4)
    fs.rmSync(dataDir, { recursive: true, force: true })
  })

  it('refuses bytes that do not hash to their CID, and reports them', async () => {
    const target = await ceph.createBucket()
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-move-'))
    const server = await startTestServer({ plc, dataDir })
    const bob = await server.createAccount('bob')
    const up = await bob.agent.uploadBlob(crypto.randomBytes(3000), { encoding: 'image/png' })
    await bob.agent.com.atproto.repo.createRecord({
      repo: bob.did,
      collection: 'com.example.file',
      record: { $type: 'com.example.file', file: up.data.blob, createdAt: new Date().toISOString() },
    })
    await server.close()
    // Damage the file on disk.
    const file = path.join(dataDir, 'blobs', diskSafeDid(bob.did), up.data.blob.ref.toString())
    fs.writeFileSync(file, crypto.randomBytes(3000))
    const moved = await runCli('/nonexistent.sock', ['blobs', 'move', '--to', 's3'], { env: { HEARTH_DATA_DIR: dataDir, ...ceph.hearthEnv(target) } })
    expect(moved.code).toBe(1)
    expect(moved.json).toMatchObject({ copied: 0, failed: [{ did: bob.did, cid: up.data.blob.ref.toString() }] })
    expect(await ceph.keys(target)).toEqual([])
    fs.rmSync(dataDir, { recursive: true, force: true })
  })

  it('a bucket that is not there stops start-up with a message naming it, leaving nothing running', async () => {
    await expect(startTestServer({ plc, env: ceph.hearthEnv('no-such-bucket') })).rejects.toThrow(/HEARTH_BLOB_S3_BUCKET: bucket "no-such-bucket" is not reachable \(HTTP 404\)/)
  })

  it('a backup with the S3 store leaves the blobs to the object store, and says so', async () => {
    const target = await ceph.createBucket()
    const server = await startTestServer({ plc, env: ceph.hearthEnv(target) })
    const carol = await server.createAccount('carol')
    await carol.agent.uploadBlob(crypto.randomBytes(100), { encoding: 'image/png' })
    const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-backup-'))
    const { backupServer } = await import('../../src/ops/backup.js')
    const manifest = await backupServer({ db: server.pds.ctx.db, config: server.pds.ctx.config, dest })
    expect(manifest.blobs).toMatchObject({ store: 's3', files: 0 })
    expect(manifest.blobs.note).toMatch(/object store's own replication/)
    expect(fs.existsSync(path.join(dest, 'blobs'))).toBe(false)
    await server.close({ removeData: true })
    fs.rmSync(dest, { recursive: true, force: true })
  })
})

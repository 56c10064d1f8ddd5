import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../db/open-database.js'
import { createLogger } from '../logger.js'
import { BlobCollector } from './blob-collector.js'
import { BlobIndex } from './blob-index.js'
import { BlobMetrics } from './blob-metrics.js'
import { BlobService } from './blob-service.js'
import { DiskBlobStore } from './disk-blob-store.js'

const dirs: string[] = []
const dbs: Db[] = []
afterEach(() => {
  for (const db of dbs.splice(0)) db.close()
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

function setup(batch: { batchSize: number; maxBatches: number }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-collector-'))
  dirs.push(dir)
  const db = openDatabase(path.join(dir, 'hearth.sqlite'))
  dbs.push(db)
  const index = new BlobIndex(db)
  const store = new DiskBlobStore(path.join(dir, 'blobs'))
  const logger = createLogger('silent')
  const metrics = new BlobMetrics(new Registry(), () => index.countUnreferenced())
  const blobs = new BlobService({ index, store, logger, metrics, maxBytes: 1 << 20, idleTimeoutMs: 0 })
  const collector = new BlobCollector({ index, store, blobs, logger, metrics, tempTtlSec: 60, graceSec: 60, ...batch })
  return { index, store, blobs, collector, db }
}

describe('BlobCollector', () => {
  it('works in bounded batches: at most batchSize × maxBatches per run, the rest on the next runs', async () => {
    const { index, blobs, collector } = setup({ batchSize: 2, maxBatches: 2 })
    for (let i = 0; i < 7; i++) await blobs.upload('did:plc:a', Readable.from([crypto.randomBytes(10)]), { mimeType: 'image/png' })
    const later = new Date(Date.now() + 120_000)
    expect((await collector.runNow({ now: later })).expiredUploads).toBe(4)
    expect(index.count()).toBe(3)
    expect((await collector.runNow({ now: later })).expiredUploads).toBe(3)
    expect(index.count()).toBe(0)
  })

  it('keeps an upload a record claims between the pick and the delete', async () => {
    const { index, blobs, collector, db } = setup({ batchSize: 10, maxBatches: 1 })
    const up = await blobs.upload('did:plc:a', Readable.from([crypto.randomBytes(10)]), { mimeType: 'image/png' })
    const row = index.expiredUploads(new Date(Date.now() + 120_000).toISOString(), 10)[0]
    db.transaction(() => index.linkRecord('did:plc:a', 'at://did:plc:a/com.example.x/1', [up.cid], { requireBlobs: true }))()
    expect(index.removeIfOrphan(row, 'upload', new Date(Date.now() + 120_000).toISOString())).toBe(false)
    await collector.runNow({ now: new Date(Date.now() + 120_000) })
    expect(index.get('did:plc:a', up.cid)).not.toBe(null)
  })

  it('a record referencing a blob collected meanwhile is refused inside its transaction', async () => {
    const { index, blobs, collector, db } = setup({ batchSize: 10, maxBatches: 1 })
    const up = await blobs.upload('did:plc:a', Readable.from([crypto.randomBytes(10)]), { mimeType: 'image/png' })
    await collector.runNow({ now: new Date(Date.now() + 120_000) })
    expect(() => db.transaction(() => index.linkRecord('did:plc:a', 'at://did:plc:a/com.example.x/1', [up.cid], { requireBlobs: true }))()).toThrow(/Could not find blob/)
    expect(db.prepare('SELECT COUNT(*) AS n FROM record_blob').get()).toEqual({ n: 0 })
  })
})

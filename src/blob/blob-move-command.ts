/**
 * `hearth-cli blobs move --to s3|disk`: copies every blob between the data
 * folder and the S3 store named by the environment (HEARTH_DATA_DIR and
 * HEARTH_BLOB_S3_*), whichever store the server runs on now. It reads the
 * server's database read-only (SQLite allows that beside a running server)
 * and talks to both stores directly, so it needs no control route and the
 * server keeps serving meanwhile.
 *
 * @example
 * const report = await runBlobMove({ env: process.env, to: 's3', onProgress })
 */
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { loadConfig } from '../config.js'
import type { Db } from '../db/open-database.js'
import { BlobIndex } from './blob-index.js'
import { DiskBlobStore } from './disk-blob-store.js'
import { diskBlobFolder } from './open-blob-store.js'
import { moveBlobs, type MoveReport } from './blob-mover.js'

export class BlobMoveError extends Error {}

export async function runBlobMove(opts: {
  env: Record<string, string | undefined>
  to: 's3' | 'disk'
  verifyExisting?: boolean
  onProgress?: (done: number, total: number) => void
}): Promise<MoveReport & { from: string; to: string }> {
  const config = loadConfig(opts.env)
  const s3 = config.blobStore
  if (s3.kind !== 's3') throw new BlobMoveError('Set HEARTH_BLOB_S3_BUCKET (and the other HEARTH_BLOB_S3_* variables) to name the S3 store')
  const dbFile = path.join(config.dataDir, 'hearth.sqlite')
  if (!fs.existsSync(dbFile)) throw new BlobMoveError(`No Hearth database at ${dbFile} (set HEARTH_DATA_DIR)`)
  const db = new Database(dbFile, { readonly: true, fileMustExist: true }) as unknown as Db
  const { S3BlobStore } = await import('./s3-blob-store.js')
  const bucket = await S3BlobStore.open(s3)
  const folder = new DiskBlobStore(diskBlobFolder(config.dataDir))
  const [from, to] = opts.to === 's3' ? [folder, bucket] : [bucket, folder]
  try {
    const report = await moveBlobs({ index: new BlobIndex(db), from, to, verifyExisting: opts.verifyExisting, onProgress: opts.onProgress })
    return { from: from.description, to: to.description, ...report }
  } finally {
    bucket.close()
    db.close()
  }
}

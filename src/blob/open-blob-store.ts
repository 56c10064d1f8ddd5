/**
 * The blob store the configuration names: the data folder's `blobs/`, or an
 * S3-compatible bucket (loaded only then: the AWS SDK weighs several MiB).
 *
 * @example
 * const store = await openBlobStore(config)
 */
import path from 'node:path'
import type { Config } from '../config.js'
import type { BlobStore } from './blob-store.js'
import { DiskBlobStore } from './disk-blob-store.js'

export async function openBlobStore(config: Pick<Config, 'blobStore' | 'dataDir'>): Promise<BlobStore> {
  const c = config.blobStore
  if (c.kind === 'disk') return new DiskBlobStore(diskBlobFolder(config.dataDir))
  const { S3BlobStore } = await import('./s3-blob-store.js')
  return S3BlobStore.open(c)
}

export const diskBlobFolder = (dataDir: string) => path.join(dataDir, 'blobs')

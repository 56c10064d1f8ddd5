/**
 * Blob bytes in an S3-compatible object store (AWS S3, Ceph's object
 * gateway, MinIO, R2, …), through the AWS SDK v3. Keys:
 * `blobs/<did>/<cid>` for blobs in use, `tmp/<did>/<tempKey>` for uploads
 * not yet referenced, so one account's objects are one prefix each.
 *
 * Uploads go through lib-storage's `Upload`: one PutObject for a small blob,
 * a multipart upload past one part, holding at most `queueSize` parts in
 * memory whatever the blob's size. Moving to the final key is a server-side
 * CopyObject then a DeleteObject (S3 has no rename).
 *
 * @example
 * const store = await S3BlobStore.open({ endpoint: 'http://127.0.0.1:7480', bucket: 'hearth', region: 'us-east-1', … })
 */
import crypto from 'node:crypto'
import type { Readable } from 'node:stream'
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { meterUpload } from './upload-meter.js'
import {
  BlobCidMismatchError,
  type BlobBody,
  type BlobLocation,
  type BlobStore,
  type ByteRange,
  type TempBlob,
  type TempEntry,
  type UploadLimits,
} from './blob-store.js'

export interface S3BlobStoreConfig {
  endpoint: string | undefined
  bucket: string
  region: string
  accessKeyId: string | undefined
  secretAccessKey: string | undefined
  forcePathStyle: boolean
}

/** S3's smallest multipart part; also what one upload holds in memory per part in flight. */
const PART_BYTES = 5 * 1024 * 1024
const PARTS_IN_FLIGHT = 2

export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const
  readonly description: string

  private constructor(
    private client: S3Client,
    private bucket: string,
    endpoint: string | undefined,
  ) {
    this.description = `S3 bucket ${bucket}${endpoint ? ` at ${endpoint}` : ''}`
  }

  /** Connects and checks that the bucket is there and reachable (a clear error at start-up, not at the first upload). */
  static async open(config: S3BlobStoreConfig): Promise<S3BlobStore> {
    const client = new S3Client({
      endpoint: config.endpoint,
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      credentials:
        config.accessKeyId && config.secretAccessKey ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey } : undefined,
      // Checksums only where S3 requires them: many S3-compatible stores refuse the newer trailing-checksum uploads.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    })
    try {
      await client.send(new HeadBucketCommand({ Bucket: config.bucket }))
    } catch (err) {
      client.destroy()
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
      throw new Error(
        `HEARTH_BLOB_S3_BUCKET: bucket "${config.bucket}" is not reachable${status ? ` (HTTP ${status})` : ''}: ${(err as Error).name} ${(err as Error).message}`,
      )
    }
    return new S3BlobStore(client, config.bucket, config.endpoint)
  }

  async putTemp(did: string, body: BlobBody, limits: UploadLimits): Promise<TempBlob> {
    const tempKey = crypto.randomBytes(16).toString('hex')
    const key = tempObjectKey(did, tempKey)
    const metered = meterUpload(body, limits)
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: metered.stream },
      partSize: PART_BYTES,
      queueSize: PARTS_IN_FLIGHT,
      leavePartsOnError: false,
    })
    try {
      await upload.done()
    } catch (err) {
      // A failed multipart upload is aborted by lib-storage; a finished single PUT may still be there.
      metered.stream.destroy()
      await this.deleteKey(key).catch(() => {})
      throw err
    }
    return { tempKey, ...metered.result() }
  }

  async makePermanent(did: string, tempKey: string, cid: string): Promise<void> {
    const from = tempObjectKey(did, tempKey)
    try {
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: blobObjectKey(did, cid), CopySource: `${this.bucket}/${encodeKey(from)}` }))
    } catch (err) {
      // Moved already (a retry after a crash): nothing to do.
      if (isNotFound(err) && (await this.size({ did, cid })) !== null) return
      throw err
    }
    await this.deleteKey(from)
  }

  async write(loc: BlobLocation, body: BlobBody): Promise<{ size: number }> {
    const up = await this.putTemp(loc.did, body, { maxBytes: Number.MAX_SAFE_INTEGER, idleTimeoutMs: 0 })
    if (up.cid !== loc.cid) {
      await this.deleteKey(tempObjectKey(loc.did, up.tempKey))
      throw new BlobCidMismatchError(`Bytes for ${loc.cid} hash to ${up.cid}`)
    }
    if (loc.tempKey) {
      const from = tempObjectKey(loc.did, up.tempKey)
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: this.key(loc), CopySource: `${this.bucket}/${encodeKey(from)}` }))
      await this.deleteKey(from)
    } else {
      await this.makePermanent(loc.did, up.tempKey, loc.cid)
    }
    return { size: up.size }
  }

  async read(loc: BlobLocation, range?: ByteRange): Promise<Readable | null> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.key(loc), Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
      )
      // In Node the SDK's body is the HTTP response stream itself: streamed, never buffered.
      return out.Body as Readable
    } catch (err) {
      if (isNotFound(err)) return null
      throw err
    }
  }

  async size(loc: BlobLocation): Promise<number | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(loc) }))
      return head.ContentLength ?? null
    } catch (err) {
      if (isNotFound(err)) return null
      throw err
    }
  }

  async delete(loc: BlobLocation): Promise<void> {
    await this.deleteKey(this.key(loc))
  }

  async deleteAccount(did: string): Promise<number> {
    let n = 0
    for (const prefix of [`blobs/${did}/`, `tmp/${did}/`]) {
      for await (const page of this.pages(prefix)) {
        if (page.length === 0) continue
        const out = await this.client.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: page.map((o) => ({ Key: o.key })), Quiet: true } }),
        )
        if (out.Errors?.length) throw new Error(`S3 refused to delete ${out.Errors.length} objects of ${did}: ${out.Errors[0].Code} ${out.Errors[0].Message}`)
        n += page.length
      }
    }
    return n
  }

  async *listAccount(did: string): AsyncIterable<{ cid: string; size: number }> {
    const prefix = `blobs/${did}/`
    for await (const page of this.pages(prefix)) {
      for (const o of page) yield { cid: o.key.slice(prefix.length), size: o.size }
    }
  }

  async *listTemp(): AsyncIterable<TempEntry> {
    for await (const page of this.pages('tmp/')) {
      for (const o of page) {
        yield { tempKey: o.key.slice(o.key.lastIndexOf('/') + 1), modifiedAt: o.modifiedAt, delete: () => this.deleteKey(o.key) }
      }
    }
  }

  close(): void {
    this.client.destroy()
  }

  private key(loc: BlobLocation): string {
    return loc.tempKey ? tempObjectKey(loc.did, loc.tempKey) : blobObjectKey(loc.did, loc.cid)
  }

  private async deleteKey(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }))
  }

  /** Listing pages of up to 1000 keys (S3's page size, and DeleteObjects' limit). */
  private async *pages(prefix: string): AsyncIterable<{ key: string; size: number; modifiedAt: Date }[]> {
    let token: string | undefined
    do {
      const out = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }))
      yield (out.Contents ?? []).map((o) => ({ key: o.Key!, size: o.Size ?? 0, modifiedAt: o.LastModified ?? new Date(0) }))
      token = out.IsTruncated ? out.NextContinuationToken : undefined
    } while (token)
  }
}

export const blobObjectKey = (did: string, cid: string) => `blobs/${did}/${cid}`
export const tempObjectKey = (did: string, tempKey: string) => `tmp/${did}/${tempKey}`

/** CopySource is a URL path: each segment percent-encoded, the slashes kept. */
const encodeKey = (key: string) => key.split('/').map(encodeURIComponent).join('/')

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } }
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404
}

/**
 * A real S3-compatible object store for tests: Ceph's object gateway
 * (radosgw) on a one-node Ceph cluster (one monitor, one in-memory OSD),
 * started on loopback by start-ceph-rgw.sh beside this file and stopped by
 * stop-ceph-rgw.sh (which signals only the daemons it started and removes
 * their folder). Needs the Debian packages radosgw, ceph-mon and ceph-osd
 * (`.ci/run` installs them). Start-up takes a few seconds; each test makes
 * a bucket of its own.
 *
 * @example
 * const ceph = await startCephRgw()
 * const bucket = await ceph.createBucket()
 * const server = await startTestServer({ env: ceph.hearthEnv(bucket) })
 * await ceph.stop()
 */
import { execFile } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { CreateBucketCommand, GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { freePort } from '../test-server.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const run = promisify(execFile)

export interface CephRgw {
  endpoint: string
  accessKeyId: string
  secretAccessKey: string
  region: string
  /** A plain SDK client, for looking at the bucket the way any S3 user would (not through Hearth's store). */
  s3: S3Client
  /** Makes a fresh bucket and returns its name. */
  createBucket(): Promise<string>
  /** HEARTH_BLOB_S3_* for a bucket. */
  hearthEnv(bucket: string): Record<string, string>
  /** Every key in the bucket under `prefix`. */
  keys(bucket: string, prefix?: string): Promise<string[]>
  /** Multipart uploads started and neither completed nor aborted. */
  openMultipartUploads(bucket: string): Promise<number>
  /** An object's bytes, through the S3 API. */
  getObject(bucket: string, key: string): Promise<Buffer>
  stop(): Promise<void>
}

/** Whether the Ceph daemons are installed on this machine. */
export const cephInstalled = () => ['radosgw', 'ceph-mon', 'ceph-osd'].every((b) => fs.existsSync(`/usr/bin/${b}`))

export async function startCephRgw(): Promise<CephRgw> {
  if (!cephInstalled()) {
    throw new Error('Ceph is not installed: apt-get install --no-install-recommends -y radosgw ceph-mon ceph-osd (.ci/run does it when missing)')
  }
  // Free ports are ephemeral ones (32768+), away from the OSD's 6800–7300.
  const port = await freePort()
  const base = path.join(os.tmpdir(), 'hearth-ceph')
  const { stdout } = await run(path.join(here, 'start-ceph-rgw.sh'), [String(port)], {
    env: { ...process.env, CEPH_BASE: base, S3_ACCESS_KEY: 'hearthtest', S3_SECRET_KEY: crypto.randomBytes(16).toString('hex') },
    timeout: 120_000,
  })
  const info = JSON.parse(stdout.trim().split('\n').pop()!) as { endpoint: string; accessKeyId: string; secretAccessKey: string; region: string; dir: string }
  const s3 = new S3Client({
    endpoint: info.endpoint,
    region: info.region,
    forcePathStyle: true,
    credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
  })
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    s3.destroy()
    await run(path.join(here, 'stop-ceph-rgw.sh'), [info.dir], { timeout: 60_000 })
  }
  return {
    ...info,
    s3,
    async createBucket() {
      const bucket = `hearth-${crypto.randomBytes(6).toString('hex')}`
      await s3.send(new CreateBucketCommand({ Bucket: bucket }))
      return bucket
    },
    hearthEnv(bucket) {
      return {
        HEARTH_BLOB_S3_ENDPOINT: info.endpoint,
        HEARTH_BLOB_S3_BUCKET: bucket,
        HEARTH_BLOB_S3_REGION: info.region,
        HEARTH_BLOB_S3_ACCESS_KEY_ID: info.accessKeyId,
        HEARTH_BLOB_S3_SECRET_ACCESS_KEY: info.secretAccessKey,
        HEARTH_BLOB_S3_FORCE_PATH_STYLE: 'true',
      }
    },
    async keys(bucket, prefix) {
      const keys: string[] = []
      let token: string | undefined
      do {
        const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }))
        for (const o of out.Contents ?? []) keys.push(o.Key!)
        token = out.IsTruncated ? out.NextContinuationToken : undefined
      } while (token)
      return keys
    },
    async openMultipartUploads(bucket) {
      const out = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))
      return out.Uploads?.length ?? 0
    },
    async getObject(bucket, key) {
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
      return Buffer.from(await out.Body!.transformToByteArray())
    },
    stop,
  }
}

import { describe, expect, it } from 'vitest'
import { loadConfig } from '../config.js'

describe('blob store configuration', () => {
  it('is the data folder unless a bucket is named', () => {
    expect(loadConfig({}).blobStore).toEqual({ kind: 'disk' })
    expect(loadConfig({}).blobTempTtlSec).toBe(3600)
  })

  it('names the S3 store with HEARTH_BLOB_S3_*; a custom endpoint means path-style by default', () => {
    const config = loadConfig({
      HEARTH_BLOB_S3_BUCKET: 'hearth-blobs',
      HEARTH_BLOB_S3_ENDPOINT: 'http://127.0.0.1:7480',
      HEARTH_BLOB_S3_ACCESS_KEY_ID: 'id',
      HEARTH_BLOB_S3_SECRET_ACCESS_KEY: 'secret',
      HEARTH_BLOB_TEMP_TTL: '60',
    })
    expect(config.blobStore).toEqual({
      kind: 's3',
      bucket: 'hearth-blobs',
      endpoint: 'http://127.0.0.1:7480',
      region: 'us-east-1',
      accessKeyId: 'id',
      secretAccessKey: 'secret',
      forcePathStyle: true,
    })
    expect(config.blobTempTtlSec).toBe(60)
    expect(loadConfig({ HEARTH_BLOB_S3_BUCKET: 'b-on-aws', HEARTH_BLOB_S3_REGION: 'eu-west-1' }).blobStore).toMatchObject({ endpoint: undefined, forcePathStyle: false, region: 'eu-west-1' })
  })

  it('refuses half a configuration, naming the variable', () => {
    expect(() => loadConfig({ HEARTH_BLOB_S3_ENDPOINT: 'http://127.0.0.1:7480' })).toThrow(/HEARTH_BLOB_S3_BUCKET/)
    expect(() => loadConfig({ HEARTH_BLOB_S3_BUCKET: 'b', HEARTH_BLOB_S3_ACCESS_KEY_ID: 'id' })).toThrow(/HEARTH_BLOB_S3_BUCKET|SECRET_ACCESS_KEY/)
    expect(() => loadConfig({ HEARTH_BLOB_S3_BUCKET: 'bucket', HEARTH_BLOB_S3_ACCESS_KEY_ID: 'id' })).toThrow(/HEARTH_BLOB_S3_SECRET_ACCESS_KEY/)
    expect(() => loadConfig({ HEARTH_BLOB_S3_BUCKET: 'Not_A_Bucket' })).toThrow(/HEARTH_BLOB_S3_BUCKET/)
    expect(() => loadConfig({ HEARTH_BLOB_S3_BUCKET: 'bucket', HEARTH_BLOB_S3_ENDPOINT: 'ftp://x' })).toThrow(/HEARTH_BLOB_S3_ENDPOINT/)
    expect(() => loadConfig({ HEARTH_BLOB_TEMP_TTL: '0' })).toThrow(/HEARTH_BLOB_TEMP_TTL/)
  })
})

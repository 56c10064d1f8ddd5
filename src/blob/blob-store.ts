/**
 * Blob bytes on disk, content-addressed under `<dataDir>/blobs/<did>/<cid>`.
 * Uploads stream to a temporary file while being hashed, then are renamed
 * into place, so a half-written upload is never visible. The interface is
 * what an S3-compatible store would implement.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Readable, Transform } from 'node:stream'
import { createCid } from '@atproto/lex-data'

const RAW = 0x55
const SHA256 = 0x12

export interface BlobStore {
  /** Stores a stream; resolves to its CID and size. Throws BlobTooLargeError past maxBytes. */
  put(did: string, body: ReadableStream<Uint8Array> | Readable, maxBytes: number): Promise<{ cid: string; size: number }>
  get(did: string, cid: string): Readable | null
  has(did: string, cid: string): boolean
  delete(did: string, cid: string): void
  deleteAccount(did: string): void
}

export class BlobTooLargeError extends Error {}

export class DiskBlobStore implements BlobStore {
  constructor(private root: string) {
    fs.mkdirSync(path.join(root, 'tmp'), { recursive: true, mode: 0o700 })
  }

  async put(did: string, body: ReadableStream<Uint8Array> | Readable, maxBytes: number) {
    const tmp = path.join(this.root, 'tmp', crypto.randomBytes(16).toString('hex'))
    const hash = crypto.createHash('sha256')
    let size = 0
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length
        if (size > maxBytes) return cb(new BlobTooLargeError(`blob is larger than ${maxBytes} bytes`))
        hash.update(chunk)
        cb(null, chunk)
      },
    })
    const source = body instanceof Readable ? body : Readable.fromWeb(body as never)
    try {
      await pipeline(source, meter, fs.createWriteStream(tmp, { mode: 0o600 }))
    } catch (err) {
      fs.rmSync(tmp, { force: true })
      throw err
    }
    const cid = createCid(RAW, SHA256, hash.digest()).toString()
    const dir = this.dirFor(did)
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
    // On disk before the upload is acknowledged: bytes, then the name.
    fsyncPath(tmp)
    fs.renameSync(tmp, path.join(dir, cid))
    fsyncPath(dir)
    return { cid, size }
  }

  get(did: string, cid: string): Readable | null {
    const file = path.join(this.dirFor(did), cid)
    return fs.existsSync(file) ? fs.createReadStream(file) : null
  }

  has(did: string, cid: string): boolean {
    return fs.existsSync(path.join(this.dirFor(did), cid))
  }

  delete(did: string, cid: string): void {
    fs.rmSync(path.join(this.dirFor(did), cid), { force: true })
  }

  deleteAccount(did: string): void {
    fs.rmSync(this.dirFor(did), { recursive: true, force: true })
  }

  private dirFor(did: string): string {
    // DIDs hold ':' and may hold '%': keep the folder name filesystem-safe.
    return path.join(this.root, did.replace(/[^a-zA-Z0-9._-]/g, '_'))
  }
}

function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r')
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

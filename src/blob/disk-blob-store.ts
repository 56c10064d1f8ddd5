/**
 * Blob bytes in the data folder: final blobs at `<root>/<did>/<cid>`,
 * uploads not yet referenced at `<root>/tmp/<did>/<tempKey>` (the DID made
 * filesystem-safe). A file reaches its final name by a rename, after its
 * bytes are synced, so a half-written blob is never visible.
 *
 * @example
 * const store = new DiskBlobStore(path.join(dataDir, 'blobs'))
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { Readable } from 'node:stream'
import { meterUpload } from './upload-meter.js'
import {
  BlobCidMismatchError,
  diskSafeDid,
  type BlobBody,
  type BlobLocation,
  type BlobStore,
  type ByteRange,
  type TempBlob,
  type TempEntry,
  type UploadLimits,
} from './blob-store.js'

export class DiskBlobStore implements BlobStore {
  readonly kind = 'disk' as const
  readonly description: string

  constructor(private root: string) {
    fs.mkdirSync(path.join(root, 'tmp'), { recursive: true, mode: 0o700 })
    this.description = `data folder ${root}`
  }

  async putTemp(did: string, body: BlobBody, limits: UploadLimits): Promise<TempBlob> {
    const tempKey = crypto.randomBytes(16).toString('hex')
    const file = this.tempFile(did, tempKey)
    await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
    const metered = meterUpload(body, limits)
    try {
      await pipeline(metered.stream, fs.createWriteStream(file, { mode: 0o600 }))
      // On disk before the upload is acknowledged.
      await fsyncPath(file)
    } catch (err) {
      await fs.promises.rm(file, { force: true })
      throw err
    }
    return { tempKey, ...metered.result() }
  }

  async makePermanent(did: string, tempKey: string, cid: string): Promise<void> {
    const dir = this.accountDir(did)
    await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 })
    try {
      await fs.promises.rename(this.tempFile(did, tempKey), path.join(dir, cid))
    } catch (err) {
      // Moved already (a retry after a crash): nothing to do.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && fs.existsSync(path.join(dir, cid))) return
      throw err
    }
    await fsyncPath(dir)
  }

  async write(loc: BlobLocation, body: BlobBody): Promise<{ size: number }> {
    const up = await this.putTemp(loc.did, body, { maxBytes: Number.MAX_SAFE_INTEGER, idleTimeoutMs: 0 })
    if (up.cid !== loc.cid) {
      await this.delete({ did: loc.did, cid: up.cid, tempKey: up.tempKey })
      throw new BlobCidMismatchError(`Bytes for ${loc.cid} hash to ${up.cid}`)
    }
    if (loc.tempKey) {
      await fs.promises.rename(this.tempFile(loc.did, up.tempKey), this.tempFile(loc.did, loc.tempKey))
    } else {
      await this.makePermanent(loc.did, up.tempKey, loc.cid)
    }
    return { size: up.size }
  }

  async read(loc: BlobLocation, range?: ByteRange): Promise<Readable | null> {
    const stream = fs.createReadStream(this.file(loc), range ? { start: range.start, end: range.end } : {})
    // Opening is asynchronous: wait for it, so a missing file is null rather than a failing stream.
    return new Promise((resolve, reject) => {
      stream.once('ready', () => resolve(stream))
      stream.once('error', (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? resolve(null) : reject(err)))
    })
  }

  async size(loc: BlobLocation): Promise<number | null> {
    try {
      return (await fs.promises.stat(this.file(loc))).size
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
  }

  async delete(loc: BlobLocation): Promise<void> {
    await fs.promises.rm(this.file(loc), { force: true })
  }

  async deleteAccount(did: string): Promise<number> {
    let n = 0
    for (const dir of [this.accountDir(did), path.join(this.root, 'tmp', diskSafeDid(did))]) {
      n += (await fs.promises.readdir(dir).catch(() => [])).length
      await fs.promises.rm(dir, { recursive: true, force: true })
    }
    return n
  }

  async *listAccount(did: string): AsyncIterable<{ cid: string; size: number }> {
    const dir = this.accountDir(did)
    for (const name of await fs.promises.readdir(dir).catch(() => [] as string[])) {
      const stat = await fs.promises.stat(path.join(dir, name)).catch(() => null)
      if (stat?.isFile()) yield { cid: name, size: stat.size }
    }
  }

  async *listTemp(): AsyncIterable<TempEntry> {
    const tmp = path.join(this.root, 'tmp')
    for (const account of await fs.promises.readdir(tmp).catch(() => [] as string[])) {
      const dir = path.join(tmp, account)
      for (const name of await fs.promises.readdir(dir).catch(() => [] as string[])) {
        const file = path.join(dir, name)
        const stat = await fs.promises.stat(file).catch(() => null)
        if (!stat?.isFile()) continue
        yield { tempKey: name, modifiedAt: stat.mtime, delete: () => fs.promises.rm(file, { force: true }) }
      }
    }
  }

  close(): void {}

  private accountDir(did: string): string {
    return path.join(this.root, diskSafeDid(did))
  }

  private tempFile(did: string, tempKey: string): string {
    return path.join(this.root, 'tmp', diskSafeDid(did), safeSegment(tempKey))
  }

  private file(loc: BlobLocation): string {
    return loc.tempKey ? this.tempFile(loc.did, loc.tempKey) : path.join(this.accountDir(loc.did), safeSegment(loc.cid))
  }
}

/** A CID or temp key from the index is one path segment; refuse anything that could climb out. */
function safeSegment(name: string): string {
  if (!/^[a-zA-Z0-9]+$/.test(name)) throw new Error(`not a blob key: ${JSON.stringify(name)}`)
  return name
}

async function fsyncPath(p: string): Promise<void> {
  const fh = await fs.promises.open(p, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

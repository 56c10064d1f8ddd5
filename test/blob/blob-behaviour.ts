/**
 * What every blob store must do, seen from outside: one test body run
 * against the data folder (disk-store.test.ts) and against Ceph's object
 * gateway (s3-store.slow.test.ts). Each store tells the body how to look at
 * its objects directly (the folder, or the S3 API), so the tests see what
 * is really stored, not what Hearth says it stored.
 */
import crypto from 'node:crypto'
import http from 'node:http'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'
import { blobCid } from '../../src/blob/upload-meter.js'

export interface StoreUnderTest {
  name: string
  /** Server environment selecting the store (HEARTH_BLOB_S3_*; empty for the data folder). */
  env(): Record<string, string>
  /** CIDs at the account's final keys, listed directly in the store. */
  finalCids(server: TestServer, did: string): Promise<string[]>
  /** Objects in the account's temporary area, listed directly in the store. */
  tempObjects(server: TestServer, did: string): Promise<string[]>
  /** Multipart uploads left open (S3 only). */
  openMultipartUploads?(): Promise<number>
}

export const MAX_BLOB = 16 * 1024 * 1024
/** Past S3's 5 MiB part: lib-storage sends it as a multipart upload. */
const MULTIPART_SIZE = 12 * 1024 * 1024 + 12345

export function blobStoreBehaviour(store: StoreUnderTest): void {
  describe(`blob store behaviour: ${store.name}`, () => {
    let server: TestServer
    let alice: TestAccount

    beforeAll(async () => {
      server = await startTestServer({
        env: {
          ...store.env(),
          HEARTH_MAX_BLOB_BYTES: String(MAX_BLOB),
          HEARTH_BLOB_TEMP_TTL: '2',
          HEARTH_BLOB_GRACE: '2',
          HEARTH_BLOB_UPLOAD_TIMEOUT: '1',
          // The tests run the collector themselves.
          HEARTH_BLOB_COLLECT_INTERVAL: '86400',
        },
      })
      alice = await server.createAccount('alice')
    })
    afterAll(async () => {
      await server?.close({ removeData: true })
    })

    const ctx = () => server.pds.ctx
    const auth = (a: TestAccount) => ({ authorization: `Bearer ${a.agent.session!.accessJwt}` })
    const upload = async (a: TestAccount, bytes: Uint8Array, mimeType = 'image/png') =>
      (await a.agent.uploadBlob(bytes, { encoding: mimeType })).data.blob
    const post = (text: string, image?: unknown) => ({
      $type: 'app.bsky.feed.post',
      text,
      createdAt: new Date().toISOString(),
      ...(image ? { embed: { $type: 'app.bsky.embed.images', images: [{ image, alt: '' }] } } : {}),
    })
    const getBlob = (did: string, cid: string, headers: Record<string, string> = {}) =>
      fetch(`${server.url}/xrpc/com.atproto.sync.getBlob?did=${did}&cid=${cid}`, { headers })
    const randomBytes = (n: number) => new Uint8Array(crypto.randomBytes(n))

    it('an upload sits at a temporary key until a record references it, then at its final key; getBlob serves it either way', async () => {
      const bytes = randomBytes(3000)
      const blob = await upload(alice, bytes)
      const cid = blob.ref.toString()
      expect(cid).toBe(blobCid(bytes))
      expect(await store.finalCids(server, alice.did)).not.toContain(cid)
      expect(await store.tempObjects(server, alice.did)).toHaveLength(1)
      expect(Buffer.from(await (await getBlob(alice.did, cid)).arrayBuffer()).equals(Buffer.from(bytes))).toBe(true)

      await alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: 'app.bsky.feed.post', record: post('picture', blob) })
      expect(await store.finalCids(server, alice.did)).toContain(cid)
      expect(await store.tempObjects(server, alice.did)).toEqual([])
      expect(ctx().blobIndex.get(alice.did, cid)?.tempKey).toBe(null)
      const served = await getBlob(alice.did, cid)
      expect(served.status).toBe(200)
      expect(served.headers.get('content-type')).toBe('image/png')
      expect(served.headers.get('accept-ranges')).toBe('bytes')
      expect(Buffer.from(await served.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true)
      expect((await server.agent().com.atproto.sync.listBlobs({ did: alice.did })).data.cids).toContain(cid)
    })

    it('a multipart-sized upload streams through; getBlob whole and by Range; a Range past the end is 416', async () => {
      const bytes = randomBytes(MULTIPART_SIZE)
      const blob = await upload(alice, bytes, 'video/mp4')
      const cid = blob.ref.toString()
      expect(blob.size).toBe(MULTIPART_SIZE)
      expect(cid).toBe(blobCid(bytes))
      await alice.agent.com.atproto.repo.createRecord({
        repo: alice.did,
        collection: 'com.example.video',
        record: { $type: 'com.example.video', video: blob, createdAt: new Date().toISOString() },
      })
      expect(await store.finalCids(server, alice.did)).toContain(cid)

      const whole = await getBlob(alice.did, cid)
      expect(whole.status).toBe(200)
      expect(whole.headers.get('content-length')).toBe(String(MULTIPART_SIZE))
      expect(blobCid(new Uint8Array(await whole.arrayBuffer()))).toBe(cid)

      const cases: [string, number, number][] = [
        ['bytes=0-99', 0, 99],
        [`bytes=${6 * 1024 * 1024 - 10}-${6 * 1024 * 1024 + 9}`, 6 * 1024 * 1024 - 10, 6 * 1024 * 1024 + 9], // across a part boundary
        ['bytes=-1000', MULTIPART_SIZE - 1000, MULTIPART_SIZE - 1],
        [`bytes=${MULTIPART_SIZE - 5}-`, MULTIPART_SIZE - 5, MULTIPART_SIZE - 1],
      ]
      for (const [range, start, end] of cases) {
        const part = await getBlob(alice.did, cid, { range })
        expect(part.status).toBe(206)
        expect(part.headers.get('content-range')).toBe(`bytes ${start}-${end}/${MULTIPART_SIZE}`)
        expect(part.headers.get('content-length')).toBe(String(end - start + 1))
        expect(Buffer.from(await part.arrayBuffer()).equals(Buffer.from(bytes.subarray(start, end + 1)))).toBe(true)
      }
      const past = await getBlob(alice.did, cid, { range: `bytes=${MULTIPART_SIZE}-` })
      expect(past.status).toBe(416)
      expect(past.headers.get('content-range')).toBe(`bytes */${MULTIPART_SIZE}`)
      expect(await past.json()).toMatchObject({ error: 'RangeNotSatisfiable' })
    })

    it('the collector deletes an upload no record referenced within the TTL, and keeps referenced ones', async () => {
      const loose = await upload(alice, randomBytes(500))
      const kept = await upload(alice, randomBytes(600))
      await alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: 'app.bsky.feed.post', record: post('kept', kept) })
      const row = ctx().blobIndex.get(alice.did, loose.ref.toString())!
      // As of the upload's own time, it is not due.
      await ctx().blobCollector.runNow({ now: new Date(row.createdAt) })
      expect(ctx().blobIndex.get(alice.did, loose.ref.toString())).not.toBe(null)
      expect(await store.tempObjects(server, alice.did)).toHaveLength(1)

      await waitPast(row.createdAt, 2)
      const report = await ctx().blobCollector.runNow()
      expect(report.expiredUploads).toBe(1)
      expect(ctx().blobIndex.get(alice.did, loose.ref.toString())).toBe(null)
      expect(await store.tempObjects(server, alice.did)).toEqual([])
      expect(await (await getBlob(alice.did, loose.ref.toString())).json()).toMatchObject({ error: 'BlobNotFound' })
      expect(await store.finalCids(server, alice.did)).toContain(kept.ref.toString())
      expect((await getBlob(alice.did, kept.ref.toString())).status).toBe(200)
      const metrics = (await ctx().metrics.text()).body
      expect(metrics).toMatch(/hearth_blobs_collected_total\{reason="expired_upload"\} [1-9]/)
    })

    it('a blob whose last record is deleted or updated away goes after the grace period, not before; one still referenced stays', async () => {
      const bytes = randomBytes(700)
      const shared = await upload(alice, bytes)
      const cid = shared.ref.toString()
      const a = await alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: 'app.bsky.feed.post', record: post('a', shared) })
      const b = await alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: 'app.bsky.feed.post', record: post('b', shared) })
      const rkey = (uri: string) => uri.split('/').pop()!
      await alice.agent.com.atproto.repo.deleteRecord({ repo: alice.did, collection: 'app.bsky.feed.post', rkey: rkey(a.data.uri) })
      expect(ctx().blobIndex.get(alice.did, cid)?.unreferencedSince).toBe(null) // b still uses it
      // Updated away: b no longer shows the picture.
      await alice.agent.com.atproto.repo.putRecord({ repo: alice.did, collection: 'app.bsky.feed.post', rkey: rkey(b.data.uri), record: post('b, no picture') })
      const since = ctx().blobIndex.get(alice.did, cid)!.unreferencedSince!
      expect(since).not.toBe(null)
      await ctx().blobCollector.runNow({ now: new Date(since) })
      expect(await store.finalCids(server, alice.did)).toContain(cid)

      await waitPast(since, 2)
      const report = await ctx().blobCollector.runNow()
      expect(report.dereferenced).toBe(1)
      expect(await store.finalCids(server, alice.did)).not.toContain(cid)
      expect(ctx().blobIndex.get(alice.did, cid)).toBe(null)
      // A record pointing at it now is refused, as for any blob never uploaded.
      await expect(
        alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: 'app.bsky.feed.post', record: post('late', shared) }),
      ).rejects.toMatchObject({ status: 400, error: 'BlobNotFound' })
    })

    it('the operator lists orphans and purges them on demand through the control socket', async () => {
      const loose = await upload(alice, randomBytes(800))
      const { ControlClient } = await import('../../src/control/control-client.js')
      const control = new ControlClient(server.pds.controlSocket!)
      const listed = await control.json<{ orphans: { cid: string; kind: string; due: boolean }[] }>('GET', '/blobs/orphans')
      expect(listed.orphans).toContainEqual(expect.objectContaining({ cid: loose.ref.toString(), kind: 'upload', due: false }))
      const purged = await control.json<{ expiredUploads: number }>('POST', '/blobs/purge', { olderThanSec: 0 })
      expect(purged.expiredUploads).toBeGreaterThanOrEqual(1)
      expect(ctx().blobIndex.get(alice.did, loose.ref.toString())).toBe(null)
      expect(await store.tempObjects(server, alice.did)).toEqual([])
    })

    it('bad uploads are 4xx and leave nothing: over the limit (streamed), a body that stalls, a Content-Length the body does not fill', async () => {
      const before = ctx().blobIndex.count()
      // Chunked, no Content-Length: refused at the first byte past the limit.
      const tooBig = await rawUpload(server.url, auth(alice), { chunks: chunked(MAX_BLOB + 1, 256 * 1024) })
      expect(tooBig.status).toBe(413)
      expect(JSON.parse(tooBig.body)).toMatchObject({ error: 'PayloadTooLarge' })
      // Declared too large: refused before reading.
      const declared = await rawUpload(server.url, auth(alice), { contentLength: MAX_BLOB + 1, chunks: [Buffer.alloc(10)], stall: true })
      expect(declared.status).toBe(413)
      // Stalls after 6 MiB (past one S3 part): abandoned after the idle timeout.
      const stalled = await rawUpload(server.url, auth(alice), { contentLength: 8 * 1024 * 1024, chunks: chunked(6 * 1024 * 1024, 256 * 1024), stall: true })
      expect(stalled.status).toBe(408)
      expect(JSON.parse(stalled.body)).toMatchObject({ error: 'RequestTimeout' })
      await eventually(async () => expect(await store.tempObjects(server, alice.did)).toEqual([]))
      // Declares more than it sends, then hangs up: nothing to answer, nothing kept.
      await rawUpload(server.url, auth(alice), { contentLength: 5000, chunks: [Buffer.alloc(2000, 1)], hangUp: true })

      // Sends more than its Content-Length: the rest is garbage the HTTP parser refuses (400), and the upload is dropped.
      expect(await overlongUpload(server.url, auth(alice))).toMatch(/^HTTP\/1\.1 400 /)

      await eventually(async () => expect(await store.tempObjects(server, alice.did)).toEqual([]))
      expect(ctx().blobIndex.count()).toBe(before)
      if (store.openMultipartUploads) await eventually(async () => expect(await store.openMultipartUploads!()).toBe(0))
      const metrics = (await ctx().metrics.text()).body
      expect(metrics).toMatch(/hearth_blob_upload_failures_total\{reason="too_large"\} [1-9]/)
      expect(metrics).toMatch(/hearth_blob_upload_failures_total\{reason="stalled"\} [1-9]/)
    })

    it("deleting an account deletes its objects, temporary ones too, and no one else's", async () => {
      const bob = await server.createAccount('bob')
      const carol = await server.createAccount('carol')
      const used = await upload(bob, randomBytes(900))
      await bob.agent.com.atproto.repo.createRecord({ repo: bob.did, collection: 'app.bsky.feed.post', record: post('bob', used) })
      await upload(bob, randomBytes(901)) // still temporary
      const carols = await upload(carol, randomBytes(902))
      expect(await store.finalCids(server, bob.did)).toHaveLength(1)
      expect(await store.tempObjects(server, bob.did)).toHaveLength(1)

      const { AccountRemoval } = await import('../../src/ops/account-removal.js')
      await new AccountRemoval(ctx()).remove(bob.did)
      expect(await store.finalCids(server, bob.did)).toEqual([])
      expect(await store.tempObjects(server, bob.did)).toEqual([])
      expect(await store.tempObjects(server, carol.did)).toHaveLength(1)
      expect((await getBlob(carol.did, carols.ref.toString())).status).toBe(200)
      expect(ctx().db.prepare('SELECT COUNT(*) AS n FROM blob_account_purge').get()).toEqual({ n: 0 })
    })
  })
}

/** Waits until `sec` seconds have passed since `iso` (plus a little). */
async function waitPast(iso: string, sec: number): Promise<void> {
  const wait = new Date(iso).getTime() + sec * 1000 + 100 - Date.now()
  if (wait > 0) await new Promise((r) => setTimeout(r, wait))
}

/** Retries `check` until it passes (the server cleans up after the client has gone). */
async function eventually(check: () => Promise<void>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (true) {
    try {
      return await check()
    } catch (err) {
      if (Date.now() > deadline) throw err
      await new Promise((r) => setTimeout(r, 200))
    }
  }
}

function chunked(total: number, size: number): Buffer[] {
  const out: Buffer[] = []
  for (let left = total; left > 0; left -= size) out.push(crypto.randomBytes(Math.min(size, left)))
  return out
}

/** An upload declaring 10 bytes and sending 40, on a bare socket; resolves to what the server answered. */
async function overlongUpload(base: string, headers: Record<string, string>): Promise<string> {
  const { port } = new URL(base)
  const sock = net.connect(Number(port), '127.0.0.1')
  let out = ''
  sock.on('data', (d) => (out += d))
  sock.on('error', () => {})
  const head = Object.entries({ host: 'localhost', 'content-type': 'image/png', 'content-length': '10', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`)
  sock.write(`POST /xrpc/com.atproto.repo.uploadBlob HTTP/1.1\r\n${head.join('')}\r\n${'x'.repeat(40)}`)
  await new Promise((r) => sock.once('close', r))
  return out
}

/**
 * An upload written by hand, for what a well-behaved client never does:
 * chunked past the limit, a stall, a Content-Length the body does not meet.
 */
async function rawUpload(
  base: string,
  headers: Record<string, string>,
  opts: { chunks: Buffer[]; contentLength?: number; stall?: boolean; hangUp?: boolean },
): Promise<{ status: number; body: string }> {
  const url = new URL('/xrpc/com.atproto.repo.uploadBlob', base)
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/octet-stream', ...(opts.contentLength !== undefined ? { 'content-length': String(opts.contentLength) } : {}) },
    })
    let answered = false
    req.on('response', (res) => {
      answered = true
      const parts: Buffer[] = []
      res.on('data', (c) => parts.push(c))
      res.on('end', () => {
        req.destroy()
        resolve({ status: res.statusCode!, body: Buffer.concat(parts).toString() })
      })
    })
    req.on('error', (err) => {
      if (opts.hangUp) resolve({ status: 0, body: '' })
      else if (!answered) reject(err)
    })
    const write = async () => {
      for (const c of opts.chunks) {
        if (answered || req.destroyed) return
        if (!req.write(c)) await new Promise<void>((r) => req.once('drain', () => r()))
      }
      if (opts.hangUp) {
        await new Promise((r) => setTimeout(r, 200))
        req.destroy()
        resolve({ status: 0, body: '' })
      } else if (!opts.stall) req.end()
    }
    void write()
  })
}

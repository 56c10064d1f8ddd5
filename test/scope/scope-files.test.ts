/**
 * Files in scopes: a photo uploaded into a scope (through the control
 * socket and through the owner's XRPC) and referenced by a scope record is
 * readable by a granted app through dev.hearth.scope.getBlob, bytes
 * identical and checked against the CID by the client library; the public
 * getBlob and listBlobs never serve it; deleting the record that held it
 * erases it. Over the limit, or a reference to another account's or
 * scope's file: a clear 4xx, nothing written.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'
import { HearthAppClient } from '../../src/client/index.js'
import { scopeBlobNamespace } from '../../src/scope/scope-blobs.js'
import { runCli } from '../ops/cli-helper.js'
import { TestApp } from './test-app.js'
import { ownerCall } from './owner.js'

let server: TestServer
let alice: TestAccount
let bob: TestAccount
let client: HearthAppClient
const PHOTOS = 'instagram.photos'
const LIMIT = 64 * 1024

const photo = crypto.randomBytes(20_000)
let photoFile: string

/** POST raw bytes to a control-socket route. */
function controlUpload(route: string, bytes: Buffer, type: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: server.pds.controlSocket!, method: 'POST', path: route, headers: { 'content-type': type, 'content-length': bytes.length } }, async (res) => {
      const chunks: Buffer[] = []
      for await (const c of res) chunks.push(c as Buffer)
      resolve({ status: res.statusCode!, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) })
    })
    req.once('error', reject)
    req.end(bytes)
  })
}

async function ownerUpload(owner: TestAccount, scope: string, bytes: Buffer, type: string) {
  const res = await fetch(`${server.url}/xrpc/dev.hearth.scope.uploadBlob?scope=${scope}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${owner.agent.session!.accessJwt}`, 'content-type': type },
    body: new Uint8Array(bytes),
  })
  return { status: res.status, json: (await res.json()) as any }
}

const fileOnDisk = (did: string, cid: string) => path.join(server.dataDir, 'blobs', scopeBlobNamespace(did).replace(/[^a-zA-Z0-9._-]/g, '_'), cid)

beforeAll(async () => {
  server = await startTestServer({ env: { HEARTH_MAX_INGEST_BYTES: String(LIMIT) } })
  alice = await server.createAccount('alice')
  bob = await server.createAccount('bob')
  const app = await TestApp.register(server.plcUrl, 'album')
  await ownerCall(server.url, alice, 'dev.hearth.grant.create', { body: { grantee: app.did, scopes: [PHOTOS] } })
  client = new HearthAppClient({ pds: server.url, identity: app, plcUrl: server.plcUrl })
  photoFile = path.join(server.dataDir, 'photo.jpg')
  fs.writeFileSync(photoFile, photo)
})

afterAll(async () => {
  await server?.close({ removeData: true })
})

describe('a photo in a scope', () => {
  let blob: any
  it('uploaded through the control socket (the CLI), referenced by a record, read back by the granted app byte for byte', async () => {
    const up = await runCli(server.pds.controlSocket!, ['scopes', 'upload', alice.handle, PHOTOS, photoFile, '--type', 'image/jpeg'])
    expect(up.code, up.stderr).toBe(0)
    blob = JSON.parse(up.stdout).blob
    expect(blob).toMatchObject({ $type: 'blob', mimeType: 'image/jpeg', size: photo.length })
    const ing = await ownerCall(server.url, alice, 'dev.hearth.scope.ingest', { body: { scope: PHOTOS, key: 'beach', data: { caption: 'beach', image: blob } } })
    expect(ing.status, JSON.stringify(ing.json)).toBe(200)

    const rec = await client.getRecord(alice.did, PHOTOS, 'beach')
    expect((rec!.data.image as any).ref.$link).toBe(blob.ref.$link)
    const got = await client.getBlob(alice.did, PHOTOS, blob.ref.$link)
    expect(Buffer.from(got.bytes).equals(photo)).toBe(true)
    expect(got.mimeType).toBe('image/jpeg')
  })

  it('is never served or listed by the public blob methods', async () => {
    const pub = await fetch(`${server.url}/xrpc/com.atproto.sync.getBlob?did=${alice.did}&cid=${blob.ref.$link}`)
    expect(pub.status).toBe(400) // the standard answer for an absent blob
    expect(((await pub.json()) as any).error).toBe('BlobNotFound')
    const list = (await (await fetch(`${server.url}/xrpc/com.atproto.sync.listBlobs?did=${alice.did}`)).json()) as any
    expect(list.cids).toEqual([])
  })

  it('uploaded through the owner\'s XRPC too; a second record sharing it keeps it alive; the last one deleted erases it', async () => {
    const up = await ownerUpload(alice, PHOTOS, photo, 'image/jpeg')
    expect(up.status).toBe(200)
    expect(up.json.blob.ref.$link).toBe(blob.ref.$link)
    await ownerCall(server.url, alice, 'dev.hearth.scope.ingest', { body: { scope: PHOTOS, key: 'copy', data: { image: blob } } })
    await ownerCall(server.url, alice, 'dev.hearth.scope.deleteRecord', { body: { scope: PHOTOS, key: 'beach' } })
    expect(Buffer.from((await client.getBlob(alice.did, PHOTOS, blob.ref.$link)).bytes).equals(photo)).toBe(true)
    expect(fs.existsSync(fileOnDisk(alice.did, blob.ref.$link))).toBe(true)

    const del = await ownerCall(server.url, alice, 'dev.hearth.scope.deleteRecord', { body: { scope: PHOTOS, key: 'copy' } })
    expect(del.json).toMatchObject({ records: 1, files: 1 })
    const gone = await client.getBlob(alice.did, PHOTOS, blob.ref.$link).catch((e) => e)
    expect(gone.status).toBe(404)
    expect(fs.existsSync(fileOnDisk(alice.did, blob.ref.$link))).toBe(false)
  })
})

describe('bad files: a clear 4xx, nothing written', () => {
  it('over HEARTH_MAX_INGEST_BYTES, through either door', async () => {
    const big = crypto.randomBytes(LIMIT + 1)
    const viaXrpc = await ownerUpload(alice, PHOTOS, big, 'image/jpeg')
    expect(viaXrpc.status).toBe(413)
    expect(viaXrpc.json.error).toBe('PayloadTooLarge')
    const viaControl = await controlUpload(`/scopes/${alice.did}/${PHOTOS}/blobs`, big, 'image/jpeg')
    expect(viaControl.status).toBe(413)
    expect(server.pds.ctx.db.prepare('SELECT COUNT(*) AS n FROM scope_blob').get()).toEqual({ n: 0 })
  })

  it("a reference to another scope's or another account's file", async () => {
    const mine = (await ownerUpload(alice, 'other.scope', photo, 'image/png')).json.blob
    const bobs = (await ownerUpload(bob, PHOTOS, crypto.randomBytes(100), 'image/png')).json.blob
    const head = server.pds.ctx.blockTables.getRoot.get(alice.did, PHOTOS)
    for (const image of [mine, bobs]) {
      const res = await ownerCall(server.url, alice, 'dev.hearth.scope.ingest', { body: { scope: PHOTOS, data: { image } } })
      expect(res.status).toBe(400)
      expect(res.json.error).toBe('BlobNotFound')
    }
    expect(server.pds.ctx.blockTables.getRoot.get(alice.did, PHOTOS)).toEqual(head)
  })
})

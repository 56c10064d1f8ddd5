/**
 * importRepo stages the CAR's blocks on disk (import_staged_block) as they
 * stream in, and only the final transaction makes them part of the
 * repository. Against Hearth as its own process, with a CAR several times
 * the staging batch:
 * - while the CAR is still arriving, its blocks are on disk and the
 *   account's repository is untouched; kill -9 there, and after the restart
 *   nothing staged is left and the same import goes through, every record
 *   with its CID;
 * - a corrupt block near the end of the CAR is refused (400) and leaves no
 *   trace: neither staged rows nor a changed repository.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import crypto from 'node:crypto'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AtpAgent } from '@atproto/api'
import { Secp256k1Keypair } from '@atproto/crypto'
import { MemoryBlockstore, Repo, WriteOpAction, blocksToCarFile, type RecordCreateOp } from '@atproto/repo'
import { TID } from '@atproto/common'
import * as plc from '@did-plc/lib'
import { freePort, startTestPlc } from '../helpers/test-server.js'
import { startChildServer, type ChildServer } from '../helpers/child-server.js'
import type { EmbeddedPlc } from '../../src/identity/embedded-plc.js'
import { STAGE_BATCH_BYTES } from '../../src/move/import-staging.js'

const RECORDS = 3000

/** An inter-service JWT as the old server mints it (ES256K, low-S compact signature). */
async function serviceJwt(key: Secp256k1Keypair, iss: string, aud: string, lxm: string): Promise<string> {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const body = `${part({ typ: 'JWT', alg: 'ES256K' })}.${part({ iss, aud, lxm, exp: Math.floor(Date.now() / 1000) + 120, jti: crypto.randomUUID() })}`
  return `${body}.${Buffer.from(await key.sign(Buffer.from(body))).toString('base64url')}`
}

describe('importRepo stages its blocks on disk', () => {
  let directory: EmbeddedPlc
  let hearth: ChildServer
  let env: Record<string, string>
  let dataDir: string
  let did: string
  let car: Uint8Array
  let repo: Repo
  let agent: AtpAgent
  let emptyCommit: string

  const db = () => new Database(path.join(dataDir, 'hearth.sqlite'), { readonly: true, fileMustExist: true })
  const stagedRows = () => {
    const d = db()
    try {
      return (d.prepare('SELECT COUNT(*) AS n FROM import_staged_block').get() as { n: number }).n
    } finally {
      d.close()
    }
  }
  const status = async () => (await agent.com.atproto.server.checkAccountStatus()).data
  const signIn = async () => {
    agent = new AtpAgent({ service: hearth.url })
    await agent.login({ identifier: did, password: 'staging-password' })
  }
  /** POSTs `bytes` as the import body, in pieces; `pauseAt` (a fraction) holds the rest back until `release` resolves. */
  const streamImport = (bytes: Uint8Array, opts: { pauseAt?: number; release?: Promise<void> } = {}) => {
    const piece = 64 * 1024
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (opts.pauseAt !== undefined && sent >= bytes.length * opts.pauseAt) await opts.release
        if (sent >= bytes.length) return controller.close()
        controller.enqueue(bytes.subarray(sent, sent + piece))
        sent += piece
      },
    })
    return fetch(`${hearth.url}/xrpc/com.atproto.repo.importRepo`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agent.session!.accessJwt}`, 'content-type': 'application/vnd.ipld.car' },
      body,
      duplex: 'half',
    } as RequestInit)
  }

  beforeAll(async () => {
    directory = await startTestPlc()
    const signingKey = await Secp256k1Keypair.create({ exportable: true })
    const rotationKey = await Secp256k1Keypair.create({ exportable: true })
    const { op, did: made } = await plc.createOp({ signingKey: signingKey.did(), handle: 'staged.test', pds: 'https://old.example', rotationKeys: [rotationKey.did()], signer: rotationKey as never })
    did = made
    await new plc.Client(directory.url).sendOperation(did, op)
    const storage = new MemoryBlockstore()
    repo = await Repo.create(storage, did, signingKey)
    for (let i = 0; i < RECORDS; i += 500) {
      const writes: RecordCreateOp[] = []
      for (let j = i; j < i + 500; j++) {
        writes.push({
          action: WriteOpAction.Create,
          collection: 'app.bsky.feed.post',
          rkey: TID.nextStr(),
          record: { $type: 'app.bsky.feed.post', text: `post ${j} ${crypto.randomBytes(600).toString('base64')}`.slice(0, 1000), createdAt: new Date().toISOString() },
        } as RecordCreateOp)
      }
      repo = await repo.applyWrites(writes, signingKey)
    }
    car = await blocksToCarFile(repo.cid, (await storage.getBlocks((await repo.data.allCids()).toList().concat([repo.cid]))).blocks)
    expect(car.length).toBeGreaterThan(2 * STAGE_BATCH_BYTES)

    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-staging-'))
    const port = await freePort()
    env = {
      HEARTH_DATA_DIR: dataDir,
      HEARTH_PORT: String(port),
      HEARTH_HOST: '127.0.0.1',
      HEARTH_PUBLIC_URL: `http://localhost:${port}`,
      HEARTH_PLC_URL: directory.url,
      HEARTH_HANDLE_DOMAIN: '.test',
      HEARTH_REGISTRATION: 'open',
      HEARTH_RATE_LIMITS: 'off',
      HEARTH_LOG_LEVEL: 'info',
    }
    hearth = await startChildServer(env)
    const anon = new AtpAgent({ service: hearth.url })
    const server = (await anon.com.atproto.server.describeServer()).data
    await anon.com.atproto.server.createAccount(
      { did, handle: 'staged.test', password: 'staging-password' },
      { headers: { authorization: `Bearer ${await serviceJwt(signingKey, did, server.did, 'com.atproto.server.createAccount')}` }, encoding: 'application/json' },
    )
    await signIn()
    emptyCommit = (await status()).repoCommit
  }, 180_000)

  afterAll(async () => {
    await hearth?.kill('SIGKILL')
    await directory?.close()
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
  })

  it('has the blocks on disk mid-import, nothing visible; killed there, it is importable again after the restart', async () => {
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    const answer = streamImport(car, { pauseAt: 0.7, release: held })
    answer.catch(() => {})
    // Most of the CAR is in: its blocks are staged (all but the batch being filled), the repository is what it was.
    const deadline = Date.now() + 60_000
    while (stagedRows() < RECORDS / 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    expect(stagedRows()).toBeGreaterThanOrEqual(RECORDS / 3)
    expect(await status()).toMatchObject({ repoCommit: emptyCommit, indexedRecords: 0 })

    await hearth.kill('SIGKILL')
    release()
    await expect(answer).rejects.toThrow()
    hearth = await startChildServer(env)
    expect(stagedRows()).toBe(0)
    expect(hearth.logs().some((l) => l.msg === 'importRepo: deleted the staged blocks of an import cut short')).toBe(true)
    await signIn()
    expect(await status()).toMatchObject({ repoCommit: emptyCommit, indexedRecords: 0 })

    // The same import, whole: every record, each with its CID.
    const res = await streamImport(car)
    expect(res.status, await res.clone().text()).toBe(200)
    expect(await status()).toMatchObject({ indexedRecords: RECORDS })
    expect(stagedRows()).toBe(0)
    // The account is still deactivated (it has not moved its DID here), so its records are read from the database.
    const d = db()
    const stored = new Map(
      (d.prepare("SELECT collection, rkey, cid FROM record WHERE did = ? AND scope = ''").all(did) as { collection: string; rkey: string; cid: string }[]).map(
        (r) => [`${r.collection}/${r.rkey}`, r.cid],
      ),
    )
    // Every record's block was copied from the staging table: the tree's nodes, the records and the new commit.
    const blocks = (d.prepare("SELECT COUNT(*) AS n FROM repo_block WHERE did = ? AND scope = ''").get(did) as { n: number }).n
    const nodes = (await repo.data.allCids()).size() - RECORDS
    d.close()
    expect(blocks).toBe(RECORDS + nodes + 1)
    const expected = new Map((await repo.data.list()).map((leaf) => [leaf.key, leaf.value.toString()]))
    expect(stored).toEqual(expected)
    expect((await status()).repoRev > repo.commit.rev).toBe(true)
  }, 240_000)

  it('refuses a CAR with a corrupt block near its end and leaves no trace', async () => {
    const before = await status()
    const corrupt = Uint8Array.from(car)
    corrupt[corrupt.length - 5] ^= 0xff
    const res = await streamImport(corrupt)
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: 'InvalidBlock' })
    expect(stagedRows()).toBe(0)
    expect(await status()).toEqual(before)
  }, 120_000)
})

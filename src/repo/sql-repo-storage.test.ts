import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Secp256k1Keypair } from '@atproto/crypto'
import { TID } from '@atproto/common'
import { Repo, WriteOpAction, getFullRepo, readCarWithRoot, verifyRepoCar, type RecordCreateOp, type RecordWriteOp } from '@atproto/repo'
import { openDatabase, type Db } from '../db/open-database.js'
import { BlockTables, SqlRepoStorage } from './sql-repo-storage.js'

const dirs: string[] = []
const dbs: Db[] = []
afterEach(() => {
  while (dbs.length) dbs.pop()!.close()
  while (dirs.length) fs.rmSync(dirs.pop()!, { recursive: true, force: true })
})

function fileDb(): { file: string; db: Db } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-storage-'))
  dirs.push(dir)
  const file = path.join(dir, 'hearth.sqlite')
  const db = openDatabase(file)
  dbs.push(db)
  return { file, db }
}

async function carOf(storage: SqlRepoStorage): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const chunk of getFullRepo(storage, (await storage.getRoot())!)) parts.push(chunk)
  return Buffer.concat(parts)
}

/** Verifies the whole repo as a relay would and returns its records, path → CID. */
async function verifiedRecords(storage: SqlRepoStorage, signingKey: string): Promise<Map<string, string>> {
  const { creates, commit } = await verifyRepoCar(await carOf(storage), storage.did, signingKey)
  expect(commit.cid.toString()).toBe((await storage.getRoot())!.toString())
  return new Map(creates.map((c) => [`${c.collection}/${c.rkey}`, c.cid.toString()]))
}

const post = (text: string) => ({ $type: 'app.bsky.feed.post', text, createdAt: '2024-01-01T00:00:00.000Z' })
const create = (rkey: string, record: Record<string, unknown>): RecordCreateOp => ({
  action: WriteOpAction.Create,
  collection: 'app.bsky.feed.post',
  rkey,
  record: record as RecordCreateOp['record'],
})

describe('SqlRepoStorage under @atproto/repo', () => {
  it('a repo created, written, updated and pruned on it verifies against its key after every commit', async () => {
    const { db } = fileDb()
    const keypair = await Secp256k1Keypair.create()
    const storage = new SqlRepoStorage(new BlockTables(db), 'did:plc:alice')
    let repo = await Repo.create(storage, storage.did, keypair, [create('3jzfcijpj2z2a', post('first'))])
    const firstCid = (await repo.data.get('app.bsky.feed.post/3jzfcijpj2z2a'))!.toString()
    expect(await verifiedRecords(storage, keypair.did())).toEqual(new Map([['app.bsky.feed.post/3jzfcijpj2z2a', firstCid]]))

    const writes: RecordCreateOp[] = []
    for (let i = 0; i < 60; i++) writes.push(create(TID.nextStr(), post(`post ${i}`)))
    repo = await repo.applyWrites(writes, keypair)
    repo = await repo.applyWrites(
      [
        { action: WriteOpAction.Update, collection: 'app.bsky.feed.post', rkey: '3jzfcijpj2z2a', record: post('first, edited') as RecordCreateOp['record'] },
        { action: WriteOpAction.Delete, collection: 'app.bsky.feed.post', rkey: writes[0].rkey },
      ],
      keypair,
    )
    const records = await verifiedRecords(storage, keypair.did())
    expect(records.size).toBe(60)
    expect(records.has(`app.bsky.feed.post/${writes[0].rkey}`)).toBe(false)
    for (const { key, value } of await repo.data.list()) expect(records.get(key)).toBe(value.toString())
    expect(records.get('app.bsky.feed.post/3jzfcijpj2z2a')).not.toBe(firstCid)

    // The head is what the last commit said, and every block of the repo is reachable: old commits and
    // replaced MST nodes were pruned, not left behind.
    expect(await storage.getRootDetailed()).toEqual({ cid: repo.cid, rev: repo.commit.rev })
    const stored = db.prepare('SELECT COUNT(*) FROM repo_block WHERE did = ?').pluck().get('did:plc:alice') as number
    const { blocks } = await readCarWithRoot(await carOf(storage))
    expect(stored).toBe(blocks.size)
  })

  it('repositories do not see each other: another account, and a scope repo of the same account', async () => {
    const { db } = fileDb()
    const tables = new BlockTables(db)
    const alice = new SqlRepoStorage(tables, 'did:plc:alice')
    const bob = new SqlRepoStorage(tables, 'did:plc:bob')
    const aliceScope = new SqlRepoStorage(tables, 'did:plc:alice', 'instagram.profile')
    const aliceKey = await Secp256k1Keypair.create()
    const bobKey = await Secp256k1Keypair.create()

    const a = await Repo.create(alice, alice.did, aliceKey, [create('3jzfcijpj2z2a', post('same text'))])
    const b = await Repo.create(bob, bob.did, bobKey, [create('3jzfcijpj2z2a', post('same text'))])
    expect(await aliceScope.getRoot()).toBeNull()
    const s = await Repo.create(aliceScope, aliceScope.did, aliceKey, [
      { action: WriteOpAction.Create, collection: 'dev.hearth.scope.record', rkey: 'profile', record: { $type: 'dev.hearth.scope.record', n: 1 } },
    ])

    expect((await alice.getRoot())!.toString()).toBe(a.cid.toString())
    expect((await bob.getRoot())!.toString()).toBe(b.cid.toString())
    expect((await aliceScope.getRoot())!.toString()).toBe(s.cid.toString())
    // Same record content, one CID, but each repository holds its own copy.
    const recordCid = (await a.data.get('app.bsky.feed.post/3jzfcijpj2z2a'))!
    expect(await alice.has(recordCid)).toBe(true)
    expect(await bob.has(recordCid)).toBe(true)
    expect(await aliceScope.has(recordCid)).toBe(false)
    expect(await bob.has(a.cid)).toBe(false)
    expect(await alice.getBytes(b.cid)).toBeNull()

    // Deleting Bob's repository rows leaves Alice's repos whole.
    db.prepare('DELETE FROM repo_block WHERE did = ?').run('did:plc:bob')
    db.prepare('DELETE FROM repo_root WHERE did = ?').run('did:plc:bob')
    expect(await verifiedRecords(alice, aliceKey.did())).toEqual(new Map([['app.bsky.feed.post/3jzfcijpj2z2a', recordCid.toString()]]))
    expect((await verifiedRecords(aliceScope, aliceKey.did())).size).toBe(1)
    expect(await bob.getRoot()).toBeNull()
  })

  it('a repo written, closed and opened again from the file loads and verifies', async () => {
    const { file, db } = fileDb()
    const keypair = await Secp256k1Keypair.create()
    let repo = await Repo.create(new SqlRepoStorage(new BlockTables(db), 'did:plc:carol'), 'did:plc:carol', keypair)
    repo = await repo.applyWrites([create('3jzfcijpj2z2a', post('kept'))], keypair)
    db.close()
    dbs.pop()

    const reopened = openDatabase(file)
    dbs.push(reopened)
    const storage = new SqlRepoStorage(new BlockTables(reopened), 'did:plc:carol')
    const loaded = await Repo.load(storage)
    expect(loaded.cid.toString()).toBe(repo.cid.toString())
    expect(await loaded.getRecord('app.bsky.feed.post', '3jzfcijpj2z2a')).toMatchObject({ text: 'kept' })
    expect((await verifiedRecords(storage, keypair.did())).size).toBe(1)
  })

  it('getBlocks reports what it has and what is missing', async () => {
    const { db } = fileDb()
    const keypair = await Secp256k1Keypair.create()
    const storage = new SqlRepoStorage(new BlockTables(db), 'did:plc:dave')
    const repo = await Repo.create(storage, storage.did, keypair)
    const other = await Repo.create(new SqlRepoStorage(new BlockTables(db), 'did:plc:erin'), 'did:plc:erin', keypair)
    const { blocks, missing } = await storage.getBlocks([repo.cid, other.cid])
    expect(blocks.has(repo.cid)).toBe(true)
    expect(missing.map(String)).toEqual([other.cid.toString()])
  })
})

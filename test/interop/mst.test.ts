/**
 * The interop MST vectors: key heights, common prefixes, key validity, and
 * the commit-proof fixtures. Trees are built on Hearth's SqlRepoStorage (the
 * blockstore every Hearth repo lives in), and each fixture's covering proof is
 * checked the way a relay checks a #commit: from the proof blocks alone, the
 * inverted operations must lead back to the previous root.
 */
import { describe, expect, it } from 'vitest'
import { BlockMap, MST, MemoryBlockstore, mstUtil } from '@atproto/repo'
import { parseCid, type Cid } from '@atproto/lex-data'
import { openDatabase } from '../../src/db/open-database.js'
import { BlockTables, SqlRepoStorage } from '../../src/repo/sql-repo-storage.js'
import { json, label, lines, type ProofFixture } from './interop-vectors.js'
// As in the server: MST nodes serialised once each, by Hearth's fixed-shape encoder
// (src/repo/mst-node-cbor.ts). The fixtures' roots are then that encoder's bytes.
import '../../src/repo/mst-serialize-memo.js'

const { leadingZerosOnHash, countPrefixLen, isValidMstKey } = mstUtil

describe('MST key heights and prefixes', () => {
  it('key_heights.json: leadingZerosOnHash gives each height', async () => {
    for (const { key, height } of json<{ key: string; height: number }[]>('mst/key_heights.json')) {
      expect(await leadingZerosOnHash(key), label(key)).toBe(height)
    }
  })

  it('common_prefix.json: countPrefixLen gives each length', () => {
    for (const { left, right, len } of json<{ left: string; right: string; len: number }[]>('mst/common_prefix.json')) {
      expect(countPrefixLen(left, right), `${label(left)} vs ${label(right)}`).toBe(len)
    }
  })

  it('example_keys.txt: the digit after the letter is the key height, and every key is a valid MST key', async () => {
    const keys = lines('mst/example_keys.txt')
    expect(keys.length).toBeGreaterThan(100)
    for (const key of keys) {
      expect(isValidMstKey(key), key).toBe(true)
      expect(await leadingZerosOnHash(key), key).toBe(Number(key[1]))
    }
  })

  it('every record path Hearth accepts (valid NSID / valid rkey vectors) is a valid MST key', () => {
    const nsids = lines('syntax/nsid_syntax_valid.txt')
    const rkeys = lines('syntax/recordkey_syntax_valid.txt')
    for (const nsid of nsids) for (const rkey of rkeys) expect(isValidMstKey(`${nsid}/${rkey}`), `${nsid}/${label(rkey)}`).toBe(true)
    for (const bad of ['', 'app.bsky.feed.post', '/3jzfcijpj2z2a', 'app.bsky.feed.post/', 'a/b/c', 'app.bsky.feed.post/a b']) {
      expect(isValidMstKey(bad), label(bad)).toBe(false)
    }
  })
})

/** A fresh repository's storage in an in-memory Hearth database. */
function hearthStorage(name: string) {
  const db = openDatabase(':memory:')
  return { db, storage: new SqlRepoStorage(new BlockTables(db), `did:example:${name}`) }
}

/** Writes the tree's new blocks into the storage, as a commit would. */
async function persist(mst: MST, storage: SqlRepoStorage, rev: string): Promise<Cid> {
  const { root, blocks } = await mst.getUnstoredBlocks()
  await storage.putMany(blocks, rev)
  return root
}

describe('example keys in a tree on SqlRepoStorage', () => {
  it('the root sits at the highest key height, every key reads back, and insertion order does not change the root', async () => {
    const keys = lines('mst/example_keys.txt')
    const leaf = parseCid('bafyreie5cvv4h45feadgeuwhbcutmh6t2ceseocckahdoe6uat64zmz454')
    const { db, storage } = hearthStorage('example')
    let mst = await MST.create(storage)
    for (const key of keys) mst = await mst.add(key, leaf)
    const root = await persist(mst, storage, '3jzfcijpj2z2a')

    const reloaded = MST.load(storage, root)
    expect(await reloaded.getLayer()).toBe(Math.max(...keys.map((k) => Number(k[1]))))
    expect((await reloaded.leaves()).map((l) => l.key)).toEqual([...keys].sort())
    for (const key of keys) expect((await reloaded.get(key))?.toString()).toBe(leaf.toString())

    let reversed = await MST.create(new MemoryBlockstore())
    for (const key of [...keys].reverse()) reversed = await reversed.add(key, leaf)
    expect((await reversed.getPointer()).toString()).toBe(root.toString())
    db.close()
  })
})

describe('commit-proof fixtures', () => {
  for (const f of json<ProofFixture[]>('firehose/commit-proof-fixtures.json')) {
    it(f.comment, async () => {
      const leaf = parseCid(f.leafValue)
      const { db, storage } = hearthStorage('proof')

      let mst = await MST.create(storage)
      for (const key of f.keys) mst = await mst.add(key, leaf)
      const before = await persist(mst, storage, '3jzfcijpj2z2a')
      expect(before.toString()).toBe(f.rootBeforeCommit)

      mst = MST.load(storage, before)
      for (const key of f.adds) mst = await mst.add(key, leaf)
      for (const key of f.dels) mst = await mst.delete(key)
      const after = await persist(mst, storage, '3jzfcijpj2z2b')
      expect(after.toString()).toBe(f.rootAfterCommit)

      // The covering proof of every touched key, read from Hearth's storage.
      const afterTree = MST.load(storage, after)
      const proof = new BlockMap()
      for (const key of [...f.adds, ...f.dels]) proof.addMap(await afterTree.getCoveringProof(key))
      expect(proof.cids().map(String).sort()).toEqual([...f.blocksInProof].sort())

      // A relay holding only the proof blocks inverts the ops back to the old root.
      const partial = new MemoryBlockstore()
      await partial.putMany(proof)
      let inverted = MST.load(partial, after)
      for (const key of f.adds) inverted = await inverted.delete(key)
      for (const key of f.dels) inverted = await inverted.add(key, leaf)
      expect((await inverted.getPointer()).toString()).toBe(f.rootBeforeCommit)
      db.close()
    })
  }
})

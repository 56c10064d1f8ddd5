import { describe, expect, it } from 'vitest'
import { MST, MemoryBlockstore } from '@atproto/repo'
import { cidForBytes } from './prepare-writes.js'
import { loadedNodes, trimToPaths } from './mst-trim.js'

const key = (i: number) => `com.example.note/${String(i).padStart(6, '0')}`
const value = (i: number) => cidForBytes(new TextEncoder().encode(`record ${i}`))

/** A tree of `n` keys whose blocks are all in `storage`, fully loaded (as after a walk). */
async function storedTree(n: number) {
  const storage = new MemoryBlockstore()
  let tree = await MST.create(storage)
  for (let i = 0; i < n; i++) tree = await tree.add(key(i), value(i))
  const { blocks } = await tree.getUnstoredBlocks()
  await storage.putMany(blocks)
  await tree.allNodes()
  return { storage, tree }
}

describe('trimToPaths', () => {
  it('keeps only the nodes on the path to the key loaded', async () => {
    const { tree } = await storedTree(600)
    const all = loadedNodes(tree)
    const depth = (await tree.getLayer()) + 1
    expect(all).toBeGreaterThan(depth * 4)
    trimToPaths(tree, [key(599)])
    const kept = loadedNodes(tree)
    expect(kept).toBeGreaterThanOrEqual(1)
    expect(kept).toBeLessThanOrEqual(depth)
  })

  it('keeps the paths to each of several keys', async () => {
    const { tree } = await storedTree(600)
    const depth = (await tree.getLayer()) + 1
    trimToPaths(tree, [key(10), key(300), key(590)])
    expect(loadedNodes(tree)).toBeLessThanOrEqual(3 * depth)
    trimToPaths(tree, [key(590)])
    expect(loadedNodes(tree)).toBeLessThanOrEqual(depth)
  })

  it('leaves a tree that reads and edits exactly as the untrimmed one', async () => {
    const { storage, tree } = await storedTree(400)
    const reference = (await storedTree(400)).tree
    trimToPaths(tree, [key(5)])
    for (let i = 0; i < 400; i += 37) expect((await tree.get(key(i)))?.toString()).toBe(value(i).toString())
    let a = tree
    let b = reference
    for (const i of [401, 402, 1000, 2500]) {
      a = await a.add(key(i), value(i))
      b = await b.add(key(i), value(i))
    }
    a = await a.update(key(7), value(9999))
    b = await b.update(key(7), value(9999))
    a = await a.delete(key(100))
    b = await b.delete(key(100))
    expect((await a.getPointer()).toString()).toBe((await b.getPointer()).toString())
    expect(storage.blocks.size).toBeGreaterThan(0)
  })

  it('never unloads a node whose changes are not yet hashed', async () => {
    const { tree } = await storedTree(400)
    const reference = await (await storedTree(400)).tree.add(key(500), value(500))
    // An edit without getPointer(): the changed nodes exist only in memory.
    const edited = await tree.add(key(500), value(500))
    trimToPaths(edited, [key(0)])
    expect((await edited.getPointer()).toString()).toBe((await reference.getPointer()).toString())
  })
})

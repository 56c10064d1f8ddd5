import { describe, expect, it } from 'vitest'
import { DataDiff, MST, MemoryBlockstore, type BlockMap, type CidSet } from '@atproto/repo'
import type { Cid } from '@atproto/lex-data'
import { cidForBytes } from './prepare-writes.js'
import { settleAndDiff } from './mst-settle.js'
import { trimToPaths } from './mst-trim.js'

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

const valueOf = (text: string) => cidForBytes(new TextEncoder().encode(text))
const values = Array.from({ length: 6 }, (_, i) => valueOf(`record ${i}`))

const blocksOf = (m: BlockMap) => Array.from(m, ([cid, bytes]) => `${cid.toString()} ${Buffer.from(bytes).toString('hex')}`).sort()
const cidsOf = (s: CidSet) => s.toList().map((c) => c.toString()).sort()

type Write = { action: 'add' | 'update' | 'delete'; key: string; value?: Cid }

async function apply(tree: MST, writes: Write[]): Promise<MST> {
  for (const w of writes) {
    if (w.action === 'add') tree = await tree.add(w.key, w.value!)
    else if (w.action === 'update') tree = await tree.update(w.key, w.value!)
    else tree = await tree.delete(w.key)
  }
  return tree
}

describe('settleAndDiff', () => {
  for (const { name, seed, repeats } of [
    { name: 'distinct values', seed: 17, repeats: false },
    { name: 'values that repeat (records with the same content)', seed: 29, repeats: true },
  ]) it(`gives the library's pointer and diff over random creates, updates and deletes: ${name}`, async () => {
    const rand = random(seed)
    const storage = new MemoryBlockstore()
    let tree = await MST.create(storage)
    await storage.putMany((await tree.getUnstoredBlocks()).blocks)
    const keys = new Map<string, Cid>()
    let compared = 0
    let fellBack = 0
    for (let step = 0; step < 400; step++) {
      // Batches of one to five writes; keys of any layer (random text), and TID-like appends.
      const writes: Write[] = []
      const planned = new Map(keys)
      for (let n = 1 + Math.floor(rand() * 5); n > 0; n--) {
        const existing = [...planned.keys()]
        const r = rand()
        const value = repeats ? values[Math.floor(rand() * values.length)] : valueOf(`step ${step} write ${n}`)
        if (existing.length === 0 || r < 0.55) {
          const key = r < 0.3 ? `com.example.note/${(1000000 + step * 10 + n).toString(36)}` : `com.example.note/k${Math.floor(rand() * 1e9).toString(36)}`
          if (planned.has(key)) continue
          writes.push({ action: 'add', key, value })
          planned.set(key, value)
        } else if (r < 0.8) {
          const key = existing[Math.floor(rand() * existing.length)]
          writes.push({ action: 'update', key, value })
          planned.set(key, value)
        } else {
          const key = existing[Math.floor(rand() * existing.length)]
          writes.push({ action: 'delete', key })
          planned.delete(key)
        }
      }
      if (writes.length === 0) continue
      const prevPointer = await tree.getPointer()

      // The library's answer, on its own copy of the tree loaded from storage.
      const prevCopy = MST.load(storage, prevPointer)
      const libraryNext = await apply(prevCopy, writes)
      const libraryPointer = await libraryNext.getPointer()
      const libraryDiff = await DataDiff.of(libraryNext, prevCopy)

      const next = await apply(tree, writes)
      const ours = settleAndDiff(next, tree)
      if (ours === null) {
        fellBack++
      } else {
        compared++
        expect(ours.pointer.toString()).toBe(libraryPointer.toString())
        expect(blocksOf(ours.newMstBlocks)).toEqual(blocksOf(libraryDiff.newMstBlocks))
        if (!repeats) {
          expect(cidsOf(ours.newLeafCids)).toEqual(cidsOf(libraryDiff.newLeafCids))
          expect(cidsOf(ours.removedCids)).toEqual(cidsOf(libraryDiff.removedCids))
        } else {
          // Every value a key took is new (its block belongs in the commit); a value no key took is removed unless new.
          const changed = new Map<string, string | null>()
          for (const [k, v] of planned) if (keys.get(k)?.toString() !== v.toString()) changed.set(k, v.toString())
          for (const k of keys.keys()) if (!planned.has(k)) changed.set(k, null)
          const took = new Set([...changed.values()].filter((v): v is string => v !== null))
          expect(cidsOf(ours.newLeafCids)).toEqual([...took].sort())
          const lost = new Set([...changed.keys()].map((k) => keys.get(k)?.toString()).filter((v): v is string => v !== undefined && !took.has(v)))
          const removedNodes = cidsOf(libraryDiff.removedCids).filter((c) => !values.some((v) => v.toString() === c))
          expect(cidsOf(ours.removedCids)).toEqual([...removedNodes, ...lost].sort())
        }
        // Settled as getPointer would: the library now finds nothing left to compute.
        expect((await next.getPointer()).toString()).toBe(libraryPointer.toString())
      }
      await storage.putMany(libraryDiff.newMstBlocks)
      if (ours) await storage.putMany(ours.newMstBlocks)
      keys.clear()
      for (const [k, v] of planned) keys.set(k, v)
      // As the committer keeps its head: only the paths just written stay loaded.
      trimToPaths(next, writes.map((w) => w.key))
      tree = next
    }
    expect(keys.size).toBeGreaterThan(50)
    // The edit loads everything the diff needs: falling back is the exception.
    expect(fellBack).toBeLessThan(compared / 20)
  })

  it('returns null, not a wrong answer, when a node it needs is not in memory', async () => {
    const storage = new MemoryBlockstore()
    let tree = await MST.create(storage)
    for (let i = 0; i < 300; i++) tree = await tree.add(`com.example.note/${String(i).padStart(4, '0')}`, values[i % values.length])
    const pointer = await tree.getPointer()
    const { blocks } = await tree.getUnstoredBlocks()
    await storage.putMany(blocks)
    const prev = MST.load(storage, pointer)
    const next = await prev.add('com.example.note/9999', values[0])
    // Unload the old root: the walk of the old tree cannot read it.
    ;(prev as unknown as { entries: unknown }).entries = null
    expect(settleAndDiff(next, prev)).toBeNull()
  })
})

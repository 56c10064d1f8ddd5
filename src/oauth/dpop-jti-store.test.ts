import { describe, expect, it } from 'vitest'
import { openDatabase } from '../db/open-database.js'
import { DpopJtiStore, MEMORY_JTIS } from './dpop-jti-store.js'

describe('DpopJtiStore', () => {
  it('takes a key once until it expires; the table answers what memory forgot; memory stays bounded', () => {
    const db = openDatabase(':memory:')
    let now = 1_000_000
    const store = new DpopJtiStore(db, () => now)
    expect(store.claim('k1', now + 70_000)).toBe(true)
    expect(store.claim('k1', now + 70_000)).toBe(false)
    // A second store on the same database (a restarted process) knows it too.
    expect(new DpopJtiStore(db, () => now).claim('k1', now + 70_000)).toBe(false)
    for (let i = 0; i < MEMORY_JTIS + 10; i++) store.claim(`fill-${i}`, now + 70_000)
    expect(store.memorySize).toBeLessThanOrEqual(MEMORY_JTIS)
    expect(store.claim('fill-0', now + 70_000)).toBe(false)
    // Past its expiry the key is free again, and expired rows are pruned.
    now += 120_000
    expect(store.claim('k1', now + 70_000)).toBe(true)
    expect((db.prepare('SELECT count(*) AS n FROM dpop_jti').get() as { n: number }).n).toBe(1)
  })
})

import { describe, expect, it } from 'vitest'
import { advantage, compareRuns, medianRow } from '../../scripts/scale/compare.js'

describe('comparing Hearth with the reference', () => {
  it('takes the median of each figure across runs, keeping the size fields', () => {
    expect(medianRow([{ records: 1000, createRecord: { p50ms: 4, perSec: 100 } }, { records: 1000, createRecord: { p50ms: 6, perSec: 300 } }])).toEqual({
      records: 1000,
      createRecord: { p50ms: 5, perSec: 200 },
    })
    expect(medianRow([3, 1, 2])).toBe(2)
  })

  it('says how many times better Hearth is: lower times, higher rates', () => {
    const hearth = { records: 10000, createRecord: { p50ms: 5, perSec: 200 }, rssMiB: 200, missing: 0 }
    const reference = { records: 10000, createRecord: { p50ms: 20, perSec: 50 }, rssMiB: 400, missing: 3 }
    expect(advantage(hearth, reference)).toEqual({ records: 10000, createRecord: { p50ms: 4, perSec: 4 }, rssMiB: 2, missing: 0 })
    // A slower Hearth shows below 1, not as an advantage.
    expect(advantage({ getRepo: { ms: 40 } }, { getRepo: { ms: 20 } })).toEqual({ getRepo: { ms: 0.5 } })
    expect(advantage({ rssMiB: null }, { rssMiB: 300 })).toEqual({ rssMiB: null })
  })

  it('pairs each size of a series across the two servers', () => {
    const row = (n: number, ms: number) => ({ accounts: n, getRecord: { p50ms: ms } })
    const out = compareRuns({ hearth: { accounts: [[row(1, 2), row(100, 2)], [row(1, 4), row(100, 2)]] }, reference: { accounts: [[row(1, 9), row(100, 12)], [row(1, 9), row(100, 12)]] } })
    expect(out.accounts).toEqual({
      hearth: [row(1, 3), row(100, 2)],
      reference: [row(1, 9), row(100, 12)],
      hearthTimesBetter: [row(1, 3), row(100, 6)],
    })
  })
})

import { describe, expect, it } from 'vitest'
import { cpuMs, cpuPer } from '../../scripts/scale/measure.js'

describe("a server's own CPU time, for figures load does not skew", () => {
  it('reads a process CPU time from /proc and sees it grow with work', () => {
    const before = cpuMs(process.pid)
    expect(before).toBeTypeOf('number')
    // Burn CPU until the clock-tick counter has moved (no timing asserted, only that it grows).
    let after = before!
    for (let spins = 0; after === before && spins < 200; spins++) {
      const end = Date.now() + 20
      while (Date.now() < end) Math.sqrt(Math.random())
      after = cpuMs(process.pid)!
    }
    expect(after).toBeGreaterThan(before!)
    expect(cpuPer(before, after, 2)).toBeCloseTo((after - before!) / 2, 2)
  })

  it('has no figure for a server not on this machine', () => {
    expect(cpuMs(undefined)).toBeNull()
    expect(cpuMs(2 ** 30)).toBeNull()
    expect(cpuPer(null, 5, 1)).toBeNull()
  })
})

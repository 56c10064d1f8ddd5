/**
 * Hearth beside the reference PDS: the median of each figure over the runs
 * of a series, and for every figure how many times better Hearth is than
 * the reference (lower is better for times and memory, higher for rates).
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { round } from './measure.js'

/** Fields that name the size measured, not a figure (or that measure the workload rather than the server). */
const SIZE_KEYS = new Set(['accounts', 'records', 'subscribers', 'writes', 'missing', 'carMiB', 'carBytes', 'count', 'batches', 'batchSize', 'requests', 'concurrency', 'workers', 'duplicates', 'gaps', 'receivedBeforeAck', 'after'])
const higherIsBetter = (key: string) => /persec/i.test(key)

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** Field by field median of the same row across runs (numbers; anything else from the first run). */
export function medianRow(rows: any[]): any {
  const first = rows[0]
  if (typeof first === 'number') return round(median(rows as number[]), 2)
  if (first === null || typeof first !== 'object') return first
  const out: any = {}
  for (const key of Object.keys(first)) out[key] = medianRow(rows.map((r) => r?.[key]))
  return out
}

/** How many times better Hearth's figure is, for each figure both have. */
export function advantage(hearth: any, reference: any, key = ''): any {
  if (typeof hearth === 'number' && typeof reference === 'number') {
    if (SIZE_KEYS.has(key)) return hearth
    if (hearth <= 0 || reference <= 0) return null
    return round(higherIsBetter(key) ? hearth / reference : reference / hearth, 2)
  }
  if (hearth === null || reference === null || typeof hearth !== 'object' || typeof reference !== 'object') return null
  const out: any = {}
  for (const k of Object.keys(hearth)) if (k in reference) out[k] = advantage(hearth[k], reference[k], k)
  return out
}

export function compareRuns(byServer: Record<'hearth' | 'reference', Record<string, unknown[][]>>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const series of Object.keys(byServer.hearth)) {
    const hearth = medianOfRuns(byServer.hearth[series])
    const reference = medianOfRuns(byServer.reference[series] ?? [])
    out[series] = { hearth, reference, hearthTimesBetter: hearth.map((row, i) => advantage(row, reference[i])) }
  }
  return out
}

function medianOfRuns(runs: unknown[][]): any[] {
  if (runs.length === 0) return []
  return runs[0].map((_, i) => medianRow(runs.map((r) => r[i])))
}

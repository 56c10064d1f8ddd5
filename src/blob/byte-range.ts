/**
 * The HTTP `Range` header of a blob read (RFC 9110 §14), single ranges only.
 * Written here because the one library for it (range-parser) is not a
 * dependency and Hearth needs ~20 lines of it: `bytes=a-b`, `bytes=a-`,
 * `bytes=-n`. A header that is not a single byte range is ignored (the whole
 * blob is served, as the RFC allows); one that asks past the end is
 * unsatisfiable (416).
 *
 * @example
 * parseRange('bytes=0-99', 1000) // { start: 0, end: 99 }
 * parseRange('bytes=2000-', 1000) // 'unsatisfiable'
 */
import type { ByteRange } from './blob-store.js'

export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header)
  if (!m || (m[1] === '' && m[2] === '')) return null
  if (m[1] === '') {
    // The last n bytes.
    const n = Number(m[2])
    if (n === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - n), end: size - 1 }
  }
  const start = Number(m[1])
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  if (start >= size) return 'unsatisfiable'
  if (end < start) return null // malformed (b < a): ignored, per the RFC
  return { start, end }
}

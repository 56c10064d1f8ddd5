import { describe, expect, it } from 'vitest'
import type { LexUserType, LexXrpcParameters } from '@atproto/lexicon'
import { loadLexicons } from './load-lexicons.js'
import { compileParamsValidator } from './params-validator.js'

const lexicons = loadLexicons()

/** Every query and procedure with parameters that Hearth could serve: com.atproto.* and dev.hearth.*. */
function methodsWithParams(): Array<{ nsid: string; params: LexXrpcParameters }> {
  const out: Array<{ nsid: string; params: LexXrpcParameters }> = []
  for (const doc of lexicons) {
    if (!/^(com\.atproto|dev\.hearth)\./.test(doc.id)) continue
    const main = doc.defs.main as { type?: string; parameters?: LexXrpcParameters } | undefined
    if ((main?.type === 'query' || main?.type === 'procedure') && main.parameters) out.push({ nsid: doc.id, params: main.parameters })
  }
  return out
}

const STRINGS = [
  '',
  'x',
  'did:plc:ewvi7nxzyoun6zhxrhs64oiz',
  'did:web:example.com',
  'did:bad',
  'alice.test',
  'app.bsky.feed.post',
  'at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3jzfcijpj2z2a',
  'at://nope',
  'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm',
  'bafy-not-a-cid',
  '3jzfcijpj2z2a',
  '..',
  '2024-01-01T00:00:00.000Z',
  'yesterday',
  'https://example.com/path',
  'en',
  'x'.repeat(3000),
  '\u{1F600}'.repeat(700),
]
const INTEGERS = [-1, 0, 1, 50, 100, 101, 1000, 10000, 2 ** 53, 1.5, Number.NaN]

/** Values to try for one property: valid, invalid, of the wrong type, and its own known/enum values. */
function samples(prop: LexUserType): unknown[] {
  const p = prop as { type: string; knownValues?: string[]; enum?: unknown[]; minimum?: number; maximum?: number; items?: LexUserType }
  const own = [...(p.knownValues ?? []), ...(p.enum ?? [])]
  const bounds = [p.minimum, p.maximum].filter((n): n is number => typeof n === 'number').flatMap((n) => [n - 1, n, n + 1])
  switch (p.type) {
    case 'string':
      return [...STRINGS, ...own, 7, true, null]
    case 'integer':
      return [...INTEGERS, ...bounds, ...own, '5', true]
    case 'boolean':
      return [true, false, 'true', 0]
    case 'array': {
      const items = samples(p.items as LexUserType)
      return [[], [items[0]], items.slice(0, 3), items.slice(-3), 'not-an-array', new Array(200).fill(items[0])]
    }
    default:
      return [STRINGS[2], 1, true, null, {}]
  }
}

function outcome(fn: () => unknown): { ok: unknown } | { error: string } {
  try {
    return { ok: fn() }
  } catch (err) {
    return { error: (err as Error).message }
  }
}

describe('compileParamsValidator', () => {
  const methods = methodsWithParams()

  it('covers Hearth’s own methods and the com.atproto ones', () => {
    expect(methods.some((m) => m.nsid === 'com.atproto.repo.getRecord')).toBe(true)
    expect(methods.some((m) => m.nsid.startsWith('dev.hearth.'))).toBe(true)
  })

  it('gives the same value or the same error as @atproto/lexicon for every method’s params', () => {
    let compared = 0
    for (const { nsid, params } of methods) {
      const check = compileParamsValidator(lexicons, nsid)
      const props = Object.entries(params.properties ?? {}) as Array<[string, LexUserType]>
      // A first passing value per property (so one bad value is tried against otherwise valid params).
      const good: Record<string, unknown> = {}
      for (const [key, prop] of props) {
        const found = samples(prop).find((v) => {
          const r = outcome(() => lexicons.assertValidXrpcParams(nsid, { [key]: v }))
          return 'ok' in r || !r.error.includes(`${key} `)
        })
        if (found !== undefined) good[key] = found
      }
      const cases: Record<string, unknown>[] = [{}, { ...good }]
      for (const [key, prop] of props) {
        for (const v of samples(prop)) {
          cases.push({ [key]: v }, { ...good, [key]: v })
        }
        const without = { ...good }
        delete without[key]
        cases.push(without)
      }
      for (const input of cases) {
        const expected = outcome(() => lexicons.assertValidXrpcParams(nsid, { ...input }))
        const actual = outcome(() => check({ ...input }))
        expect(actual, `${nsid} ${JSON.stringify(input).slice(0, 200)}`).toEqual(expected)
        compared++
      }
    }
    expect(compared).toBeGreaterThan(1000)
  })

  it('applies defaults, refuses a missing required parameter and leaves the input alone', () => {
    const check = compileParamsValidator(lexicons, 'com.atproto.repo.listRecords')
    const input = { repo: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', collection: 'app.bsky.feed.post' }
    expect(check(input)).toEqual({ ...input, limit: 50 })
    expect(input).not.toHaveProperty('limit')
    expect(() => check({ collection: 'app.bsky.feed.post' })).toThrow('Params must have the property "repo"')
    expect(() => check({ ...input, limit: 101 })).toThrow('limit can not be greater than 100')
    expect(() => compileParamsValidator(lexicons, 'com.atproto.repo.getRecord')({ repo: 'did:plc:x', collection: 'not an nsid', rkey: 'a' })).toThrow(
      /collection/,
    )
  })
})

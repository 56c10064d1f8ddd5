/**
 * The interop syntax vectors against the @atproto/syntax checks Hearth calls
 * (see NOTES.md for which function matches which set) and against Hearth's
 * own code where it applies them: handle normalisation, the collection and
 * record-key checks of prepareWrite, and record validation of string formats.
 */
import { describe, expect, it } from 'vitest'
import {
  ensureValidAtIdentifier,
  ensureValidDatetime,
  ensureValidDid,
  ensureValidHandle,
  ensureValidNsid,
  ensureValidRecordKey,
  ensureValidTid,
  isAtUriString,
} from '@atproto/syntax'
import { Lexicons } from '@atproto/lexicon'
import { normalizeValidHandle } from '../../src/identity/handles.js'
import { prepareWrite } from '../../src/repo/prepare-writes.js'
import { RecordValidator } from '../../src/lexicon/record-validator.js'
import { loadLexicons } from '../../src/lexicon/load-lexicons.js'
import { HearthError, xrpcStatus } from '../../src/xrpc/xrpc-error.js'
import { label, lines } from './interop-vectors.js'

/** True when `fn` returns, false when it throws. */
function passes(fn: () => unknown): boolean {
  try {
    fn()
    return true
  } catch {
    return false
  }
}

/** Asserts the check accepts every valid case and refuses every invalid one, naming the cases it got wrong. */
function expectVectors(check: (s: string) => boolean, valid: string[], invalid: string[]) {
  expect(valid.filter((s) => !check(s)).map(label), 'valid cases refused').toEqual([])
  expect(invalid.filter((s) => check(s)).map(label), 'invalid cases accepted').toEqual([])
}

const vectors = (name: string, extraInvalid: string[] = []) => ({
  valid: lines(`syntax/${name}_syntax_valid.txt`),
  invalid: [...lines(`syntax/${name}_syntax_invalid.txt`), ...extraInvalid],
})

describe('syntax vectors against @atproto/syntax', () => {
  const cases: [string, (s: string) => boolean, { valid: string[]; invalid: string[] }][] = [
    ['handle', (s) => passes(() => ensureValidHandle(s)), vectors('handle')],
    ['did', (s) => passes(() => ensureValidDid(s)), vectors('did')],
    ['nsid', (s) => passes(() => ensureValidNsid(s)), vectors('nsid')],
    ['record key', (s) => passes(() => ensureValidRecordKey(s)), vectors('recordkey')],
    ['tid', (s) => passes(() => ensureValidTid(s)), vectors('tid')],
    ['at-identifier', (s) => passes(() => ensureValidAtIdentifier(s)), vectors('atidentifier')],
    ['at-uri', (s) => isAtUriString(s), vectors('aturi')],
    [
      'datetime',
      (s) => passes(() => ensureValidDatetime(s)),
      vectors('datetime', lines('syntax/datetime_parse_invalid.txt')),
    ],
  ]
  for (const [name, check, { valid, invalid }] of cases) {
    it(`${name}: ${valid.length} valid and ${invalid.length} invalid cases`, () => {
      expectVectors(check, valid, invalid)
    })
  }
})

describe("syntax vectors through Hearth's own checks", () => {
  it('handles: normalizeValidHandle accepts the valid ones and refuses the invalid ones with InvalidHandle', () => {
    const { valid, invalid } = vectors('handle')
    for (const h of valid) expect(normalizeValidHandle(h)).toBe(h.toLowerCase())
    for (const h of invalid) {
      let err: unknown
      try {
        normalizeValidHandle(h)
      } catch (e) {
        err = e
      }
      expect(err, label(h)).toBeInstanceOf(HearthError)
      expect((err as HearthError).error, label(h)).toBe('InvalidHandle')
      expect(xrpcStatus(err as HearthError)).toBe(400)
    }
  })

  // prepareWrite is the edge of every repo write: a bad collection or rkey
  // must be a 400 before anything is encoded.
  const validator = new RecordValidator(loadLexicons())
  const write = (collection: string, rkey: string) =>
    prepareWrite({ action: 'create', collection, rkey, record: { $type: collection, n: 1 } }, validator)

  it('record keys: prepareWrite takes every valid rkey and refuses every invalid one with a 400', () => {
    const { valid, invalid } = vectors('recordkey')
    for (const rkey of valid) expect(write('com.example.record', rkey).rkey).toBe(rkey)
    for (const rkey of invalid) expectBadRequest(() => write('com.example.record', rkey), rkey)
  })

  it('NSIDs: prepareWrite takes every valid collection and refuses every invalid one with a 400', () => {
    const { valid, invalid } = vectors('nsid')
    for (const nsid of valid) expect(write(nsid, 'self').collection).toBe(nsid)
    for (const nsid of invalid) expectBadRequest(() => write(nsid, 'self'), nsid)
  })

  it('createdAt: every invalid datetime is refused by record validation (an app.bsky.feed.post)', () => {
    const { invalid } = vectors('datetime', lines('syntax/datetime_parse_invalid.txt'))
    for (const createdAt of invalid) {
      const record = { $type: 'app.bsky.feed.post', text: 'hi', createdAt }
      expect(() => validator.validate('app.bsky.feed.post', '3jzfcijpj2z2a', record, undefined), label(createdAt)).toThrow()
    }
  })

  // String formats inside records go through @atproto/lexicon's format
  // checks. For these formats they must agree with the vectors exactly.
  const formats = {
    did: 'did',
    handle: 'handle',
    atidentifier: 'at-identifier',
    nsid: 'nsid',
    tid: 'tid',
    recordkey: 'record-key',
  } as const
  const lexicons = new Lexicons([
    {
      lexicon: 1,
      id: 'com.example.formats',
      defs: {
        main: {
          type: 'record',
          key: 'any',
          record: {
            type: 'object',
            properties: Object.fromEntries(Object.entries(formats).map(([k, format]) => [k, { type: 'string', format }])),
          },
        },
      },
    },
  ])
  const formatValidator = new RecordValidator(lexicons)
  for (const [field, format] of Object.entries(formats)) {
    it(`record field of format ${format}: RecordValidator agrees with the vectors`, () => {
      const { valid, invalid } = vectors(field)
      const check = (s: string) =>
        passes(() => formatValidator.validate('com.example.formats', 'x', { $type: 'com.example.formats', [field]: s }, true))
      expectVectors(check, valid, invalid)
    })
  }
})

function expectBadRequest(fn: () => unknown, what: string) {
  let err: unknown
  try {
    fn()
  } catch (e) {
    err = e
  }
  expect(err, label(what)).toBeInstanceOf(HearthError)
  expect(xrpcStatus(err as HearthError), label(what)).toBe(400)
}

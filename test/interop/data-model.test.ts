/**
 * The interop data-model vectors through Hearth's write path: JSON from a
 * client → jsonToLexValue (checks the data model) → lexToStorable →
 * DAG-CBOR (@atproto/lex-cbor) → cidForBytes. A valid fixture must give the
 * fixture's exact bytes and CID; an invalid one must be refused before
 * anything is encoded.
 */
import { describe, expect, it } from 'vitest'
import { encode as cborEncode } from '@atproto/lex-cbor'
import { DataModelError, assertDataModelJson, jsonToLexValue, lexToStorable } from '../../src/repo/data-model.js'
import { cidForBytes, prepareWrite } from '../../src/repo/prepare-writes.js'
import { RecordValidator } from '../../src/lexicon/record-validator.js'
import { loadLexicons } from '../../src/lexicon/load-lexicons.js'
import { HearthError, xrpcStatus } from '../../src/xrpc/xrpc-error.js'
import { json } from './interop-vectors.js'

interface EncodingFixture {
  json: Record<string, unknown>
  cbor_base64: string
  cid: string
}

/** Hearth's encoding of a client's JSON value, step by step as prepareWrite does it. */
function encodeAsHearth(value: unknown) {
  const bytes = cborEncode(lexToStorable(jsonToLexValue(value)) as never)
  return { bytes, cid: cidForBytes(bytes).toString() }
}

const validator = new RecordValidator(loadLexicons())

/** prepareWrite of `fields` as a record of an unknown collection (stored unvalidated, like on the reference PDS). */
function prepareUnknown(fields: unknown) {
  return prepareWrite(
    { action: 'create', collection: 'com.example.blah', rkey: 'self', record: { $type: 'com.example.blah', ...(fields as object) } },
    validator,
  )
}

describe('data-model-fixtures.json: exact CBOR bytes and CID', () => {
  const fixtures = json<EncodingFixture[]>('data-model/data-model-fixtures.json')
  for (const [i, f] of fixtures.entries()) {
    it(`fixture ${i} → ${f.cid}`, () => {
      const { bytes, cid } = encodeAsHearth(f.json)
      expect(Buffer.from(bytes).toString('base64url')).toBe(f.cbor_base64.replace(/\+/g, '-').replace(/\//g, '_'))
      expect(cid).toBe(f.cid)
    })
  }

  it('prepareWrite stores the same bytes as the fixture for the same fields under a $type', () => {
    for (const f of fixtures) {
      const prepared = prepareUnknown(f.json)
      const expected = encodeAsHearth({ $type: 'com.example.blah', ...f.json })
      expect(Buffer.from(prepared.action !== 'delete' ? prepared.bytes : []).equals(Buffer.from(expected.bytes))).toBe(true)
      expect(prepared.action !== 'delete' && prepared.cid.toString()).toBe(expected.cid)
    }
  })

  it('a blob in a record is listed as a blob use with its CID, type and size', () => {
    const withBlob = fixtures.find((f) => JSON.stringify(f.json).includes('"blob"'))!
    const prepared = prepareUnknown(withBlob.json)
    expect(prepared.action !== 'delete' && prepared.blobs).toEqual([
      { cid: 'bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity', mimeType: 'image/jpeg', size: 10000 },
    ])
  })
})

describe('data-model-valid.json', () => {
  for (const f of json<{ note: string; json: unknown }[]>('data-model/data-model-valid.json')) {
    it(`${f.note}: accepted and encodes`, () => {
      expect(() => assertDataModelJson(f.json)).not.toThrow()
      expect(encodeAsHearth(f.json).cid).toMatch(/^bafyrei/)
      expect(prepareUnknown(f.json).action).toBe('create')
    })
  }
})

describe('data-model-invalid.json', () => {
  for (const f of json<{ note: string; json: unknown }[]>('data-model/data-model-invalid.json')) {
    it(`${f.note}: refused`, () => {
      const isObject = typeof f.json === 'object' && f.json !== null && !Array.isArray(f.json)
      if (isObject) expect(() => assertDataModelJson(f.json)).toThrow(DataModelError)
      // Through the write path: the fields under a $type of an unknown
      // collection (no lexicon to catch it), or the bare value as the record.
      let err: unknown
      try {
        if (isObject) prepareUnknown(f.json)
        else prepareWrite({ action: 'create', collection: 'com.example.blah', rkey: 'self', record: f.json }, validator)
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(HearthError)
      expect(xrpcStatus(err as HearthError)).toBe(400)
      expect((err as HearthError).error).toBe('InvalidRecord')
    })
  }
})

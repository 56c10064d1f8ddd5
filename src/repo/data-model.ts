/**
 * The AT Protocol data model at the edge: a JSON value from a client becomes
 * a lex value (CIDs, bytes, BlobRefs) only if it is valid data-model JSON.
 * `jsonToLex` alone lets through floats, bogus `$link`s and malformed blobs,
 * which would then fail deep in encoding (a 500) or store something no other
 * implementation can read.
 */
import { jsonToLex, lexToIpld } from '@atproto/lexicon'
import { parseCidSafe } from '@atproto/lex-data'

export class DataModelError extends Error {}

/** Checks `json` against the data model; throws DataModelError naming the path at fault. */
export function assertDataModelJson(json: unknown, path = '$'): void {
  if (json === null || typeof json === 'string' || typeof json === 'boolean') return
  if (typeof json === 'number') {
    if (!Number.isSafeInteger(json)) throw new DataModelError(`${path}: numbers must be integers (got ${json})`)
    return
  }
  if (Array.isArray(json)) {
    json.forEach((v, i) => assertDataModelJson(v, `${path}[${i}]`))
    return
  }
  if (typeof json !== 'object') throw new DataModelError(`${path}: unsupported value`)
  const obj = json as Record<string, unknown>
  const keys = Object.keys(obj)
  if ('$link' in obj) {
    if (keys.length !== 1) throw new DataModelError(`${path}: a $link object has no other fields`)
    if (typeof obj.$link !== 'string' || !parseCidSafe(obj.$link)) throw new DataModelError(`${path}.$link: not a CID`)
    return
  }
  if ('$bytes' in obj) {
    if (keys.length !== 1) throw new DataModelError(`${path}: a $bytes object has no other fields`)
    if (typeof obj.$bytes !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(obj.$bytes)) {
      throw new DataModelError(`${path}.$bytes: not base64`)
    }
    return
  }
  if ('$type' in obj) {
    if (typeof obj.$type !== 'string' || obj.$type.length === 0) throw new DataModelError(`${path}.$type: must be a non-empty string`)
    if (obj.$type === 'blob') {
      const ref = obj.ref as Record<string, unknown> | undefined
      if (!ref || typeof ref !== 'object' || typeof ref.$link !== 'string' || !parseCidSafe(ref.$link)) {
        throw new DataModelError(`${path}.ref: a blob needs a CID link`)
      }
      if (typeof obj.mimeType !== 'string' || !obj.mimeType) throw new DataModelError(`${path}.mimeType: must be a string`)
      if (!Number.isSafeInteger(obj.size) || (obj.size as number) < 0) throw new DataModelError(`${path}.size: must be an integer`)
    }
  }
  for (const k of keys) assertDataModelJson(obj[k], `${path}.${k}`)
}

/** Valid JSON → lex value (BlobRef instances, CIDs, bytes), for lexicon validation. */
export function jsonToLexValue(json: unknown): unknown {
  assertDataModelJson(json)
  return jsonToLex(json as never)
}

/** Lex value → plain IPLD value, which is what gets CBOR-encoded and hashed. */
export function lexToStorable(value: unknown): Record<string, unknown> {
  return lexToIpld(value) as Record<string, unknown>
}

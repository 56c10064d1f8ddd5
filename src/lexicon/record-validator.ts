/**
 * Record validation against the server's lexicons, with the reference PDS's
 * rules for `validate`:
 * - false: no schema check (the data model is still checked elsewhere);
 * - true: the collection's lexicon must be known and the record must match;
 * - unset: checked when the lexicon is known, else stored as 'unknown'.
 */
import type { Lexicons } from '@atproto/lexicon'
import { ensureValidDatetime, ensureValidTid, ensureValidNsid } from '@atproto/syntax'
import { blobConstraintProblems } from './blob-constraints.js'

export type ValidationStatus = 'valid' | 'unknown' | undefined

export class InvalidRecordError extends Error {}

export class RecordValidator {
  constructor(private lexicons: Lexicons) {}

  validate(collection: string, rkey: string, record: Record<string, unknown>, validate: boolean | undefined): ValidationStatus {
    if (typeof record.$type !== 'string') throw new InvalidRecordError('Record has no $type')
    if (record.$type !== collection) {
      throw new InvalidRecordError(`Invalid $type: expected ${collection}, got ${record.$type}`)
    }
    if (validate === false) return undefined
    const def = this.lexicons.getDef(collection)
    if (!def || def.type !== 'record') {
      if (validate === true) throw new InvalidRecordError(`Lexicon not found: lex:${collection}`)
      return 'unknown'
    }
    checkRecordKey(def.key, rkey)
    try {
      this.lexicons.assertValidRecord(collection, record)
    } catch (err) {
      throw new InvalidRecordError((err as Error).message)
    }
    const blobProblems = blobConstraintProblems(this.lexicons, collection, record)
    if (blobProblems.length > 0) throw new InvalidRecordError(blobProblems.map((p) => p.message).join('; '))
    if (typeof record.createdAt === 'string') {
      try {
        ensureValidDatetime(record.createdAt)
      } catch {
        throw new InvalidRecordError('createdAt must be a valid datetime')
      }
    }
    return 'valid'
  }
}

function checkRecordKey(keyType: string | undefined, rkey: string): void {
  if (!keyType || keyType === 'any') return
  try {
    if (keyType === 'tid') ensureValidTid(rkey)
    else if (keyType === 'nsid') ensureValidNsid(rkey)
    else if (keyType.startsWith('literal:') && rkey !== keyType.slice('literal:'.length)) throw new Error()
  } catch {
    throw new InvalidRecordError(`Record key "${rkey}" does not match the lexicon's key type ${keyType}`)
  }
}

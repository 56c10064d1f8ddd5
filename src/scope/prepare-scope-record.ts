/**
 * Turns one ingested JSON object into a write of a scope repository:
 * `{ $type: 'dev.hearth.scope.record', scope, collectedAt, data }` under a
 * TID record key (or the key the connector gave), checked against the AT Protocol data model and the
 * record's lexicon, then encoded and hashed with the same functions as public
 * records, so the commit path (RepoCommitter) is shared. The scope name
 * stands where a collection would (MST key `<scope>/<rkey>`), which is why
 * this does not go through prepareWrite: a scope name is not an NSID.
 *
 * @example
 * const write = prepareScopeRecord('instagram.profile', { name: 'Ada' }, new Date().toISOString(), ctx.lexicons)
 * await ctx.committer.applyWrites(did, [write], { scope: 'instagram.profile' })
 */
import type { Lexicons } from '@atproto/lexicon'
import { encode as cborEncode } from '@atproto/lex-cbor'
import { TID } from '@atproto/common'
import { InvalidRecord } from '../errors/hearth-error.js'
import { DataModelError, jsonToLexValue, lexToStorable } from '../repo/data-model.js'
import { cidForBytes, findBlobs, type BlobUse, type PreparedRecordWrite } from '../repo/prepare-writes.js'
import { ensureValidScopeName } from './scope-name.js'

export const SCOPE_RECORD_TYPE = 'dev.hearth.scope.record'

/** A scope record's write; its files are checked against the scope's own (scope_blob), not the public blobs. */
export interface ScopeRecordWrite extends PreparedRecordWrite {
  scopeBlobs: BlobUse[]
}

export function prepareScopeRecord(
  scope: string,
  data: unknown,
  collectedAt: string,
  lexicons: Lexicons,
  rkey: string = TID.nextStr(),
  action: 'create' | 'update' = 'create',
): ScopeRecordWrite {
  ensureValidScopeName(scope)
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new InvalidRecord('data must be a JSON object')
  }
  const json = { $type: SCOPE_RECORD_TYPE, scope, collectedAt, data }
  let lex: Record<string, unknown>
  try {
    lex = jsonToLexValue(json) as Record<string, unknown>
  } catch (err) {
    if (err instanceof DataModelError) throw new InvalidRecord(err.message.replace(/^\$\.data/, 'data'))
    throw new InvalidRecord('data is not valid AT Protocol data-model JSON')
  }
  try {
    lexicons.assertValidRecord(SCOPE_RECORD_TYPE, lex)
  } catch (err) {
    throw new InvalidRecord((err as Error).message)
  }
  const record = lexToStorable(lex)
  let bytes: Uint8Array
  try {
    bytes = cborEncode(record as never)
  } catch (err) {
    throw new InvalidRecord((err as Error).message)
  }
  // `blobs` stays empty: the committer checks those against the public blob table.
  return { action, collection: scope, rkey, record, bytes, cid: cidForBytes(bytes), validationStatus: 'valid', blobs: [], scopeBlobs: findBlobs(lex) }
}

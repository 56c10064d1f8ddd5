/**
 * Turns what a client asked to write into checked, encoded writes: names
 * validated, the record checked against the data model and the lexicons,
 * encoded to DAG-CBOR and hashed, and its blob references listed. Nothing is
 * written here; a bad write fails before any storage is touched.
 */
import crypto from 'node:crypto'
import { BlobRef } from '@atproto/lexicon'
import { encode as cborEncode } from '@atproto/lex-cbor'
import { createCid, type Cid, parseCidSafe } from '@atproto/lex-data'
import { TID } from '@atproto/common'
import { ensureValidNsid, ensureValidRecordKey } from '@atproto/syntax'
import { InvalidRecord, invalidRequest } from '../errors/hearth-error.js'
import { DataModelError, jsonToLexValue, lexToStorable } from './data-model.js'
import { InvalidRecordError, type RecordValidator, type ValidationStatus } from '../lexicon/record-validator.js'

export interface BlobUse {
  cid: string
  mimeType: string
  size: number
}

export interface PreparedRecordWrite {
  action: 'create' | 'update'
  collection: string
  rkey: string
  /** The record as stored (plain IPLD: CIDs, bytes). */
  record: Record<string, unknown>
  bytes: Uint8Array
  cid: Cid
  validationStatus: ValidationStatus
  blobs: BlobUse[]
  /** undefined: no check; null: the record must not exist; a CID: it must be that. */
  swapCid?: Cid | null
}

export interface PreparedDelete {
  action: 'delete'
  collection: string
  rkey: string
  swapCid?: Cid | null
}

export type PreparedWrite = PreparedRecordWrite | PreparedDelete

export interface WriteRequest {
  action: 'create' | 'update' | 'delete'
  collection: string
  rkey?: string
  record?: unknown
  swapRecord?: string | null
  validate?: boolean
}

const CBOR = 0x71
const SHA256 = 0x12

export function cidForBytes(bytes: Uint8Array): Cid {
  const digest = crypto.createHash('sha256').update(bytes).digest()
  return createCid(CBOR, SHA256, digest)
}

export function prepareWrite(req: WriteRequest, validator: RecordValidator): PreparedWrite {
  try {
    ensureValidNsid(req.collection)
  } catch {
    throw invalidRequest(`Invalid collection NSID: ${req.collection}`)
  }
  const rkey = req.rkey ?? (req.action === 'create' ? TID.nextStr() : undefined)
  if (rkey === undefined) throw invalidRequest('rkey is required')
  try {
    ensureValidRecordKey(rkey)
  } catch {
    throw invalidRequest(`Invalid record key: ${rkey}`)
  }
  const swapCid = parseSwap(req.swapRecord)
  if (req.action === 'delete') return { action: 'delete', collection: req.collection, rkey, swapCid }

  const json = req.record
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new InvalidRecord('Record must be an object')
  }
  let lex: Record<string, unknown>
  try {
    lex = jsonToLexValue(json) as Record<string, unknown>
  } catch (err) {
    if (err instanceof DataModelError) throw new InvalidRecord(err.message)
    throw new InvalidRecord('Record is not valid data-model JSON')
  }
  let validationStatus: ValidationStatus
  try {
    validationStatus = validator.validate(req.collection, rkey, lex, req.validate)
  } catch (err) {
    if (err instanceof InvalidRecordError) throw new InvalidRecord(err.message)
    throw err
  }
  const record = lexToStorable(lex)
  let bytes: Uint8Array
  try {
    bytes = cborEncode(record as never)
  } catch (err) {
    throw new InvalidRecord((err as Error).message)
  }
  return {
    action: req.action,
    collection: req.collection,
    rkey,
    record,
    bytes,
    cid: cidForBytes(bytes),
    validationStatus,
    blobs: findBlobs(lex),
    swapCid,
  }
}

function parseSwap(swap: string | null | undefined): Cid | null | undefined {
  if (swap === undefined || swap === null) return swap
  const cid = parseCidSafe(swap)
  if (!cid) throw invalidRequest(`Invalid swapRecord CID: ${swap}`)
  return cid
}

/** Every blob a record references, wherever it sits. */
export function findBlobs(value: unknown, out: BlobUse[] = []): BlobUse[] {
  if (value instanceof BlobRef) {
    out.push({ cid: value.ref.toString(), mimeType: value.mimeType, size: value.size })
  } else if (Array.isArray(value)) {
    for (const v of value) findBlobs(v, out)
  } else if (value && typeof value === 'object' && !(value instanceof Uint8Array) && !parseCidLike(value)) {
    for (const v of Object.values(value)) findBlobs(v, out)
  }
  return out
}

function parseCidLike(value: object): boolean {
  return (value as { asCID?: unknown }).asCID === value
}

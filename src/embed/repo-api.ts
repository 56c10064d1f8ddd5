/**
 * The person's public repository, for the host's server code. Each write
 * runs the XRPC method's own handler (createRecord, putRecord, deleteRecord)
 * after the same lexicon check of its input the router makes, charged to
 * the same write budget, as the account itself: the same validation, the
 * same commit path (one transaction with its firehose event), the same
 * answers. No HTTP round trip and no token.
 *
 * @example
 * const { uri } = await pds.repo.createRecord(did, { collection: 'com.example.note', record: { $type: 'com.example.note', text: 'hi', createdAt } })
 * const page = await pds.repo.listRecords(did, 'com.example.note')
 */
import type { AppContext } from '../context.js'
import type { Credentials } from '../auth/request-auth.js'
import { JsonText, type XrpcMethod } from '../xrpc/xrpc-router.js'
import { InvalidRequest, RateLimitExceeded, RepoNotFound } from '../errors/hearth-error.js'
import { WRITE_POINTS } from '../ops/rate-limits.js'
import createRecord from '../xrpc/com/atproto/repo/createRecord.js'
import putRecord from '../xrpc/com/atproto/repo/putRecord.js'
import deleteRecord from '../xrpc/com/atproto/repo/deleteRecord.js'
import getRecord from '../xrpc/com/atproto/repo/getRecord.js'
import listRecords from '../xrpc/com/atproto/repo/listRecords.js'
import { withTypedErrors } from './typed-errors.js'

/** A record value in JSON form, as XRPC carries it (`$type`, `{ $link }`, blob objects). */
export type RecordValue = { $type?: string; [key: string]: unknown }

export interface CreateRecordInput {
  collection: string
  /** Default: a new TID. */
  rkey?: string
  record: RecordValue
  /** true: must match a known lexicon; false: skip; unset: check if the lexicon is known. */
  validate?: boolean
  swapCommit?: string
}

export interface PutRecordInput {
  collection: string
  rkey: string
  record: RecordValue
  validate?: boolean
  /** The CID the record must have now (null: it must not exist). */
  swapRecord?: string | null
  swapCommit?: string
}

export interface DeleteRecordInput {
  collection: string
  rkey: string
  swapRecord?: string
  swapCommit?: string
}

export interface WriteOutcome {
  uri: string
  cid: string
  commit: { cid: string; rev: string }
  validationStatus?: 'valid' | 'unknown'
}

export interface StoredRecord {
  uri: string
  cid: string
  value: RecordValue
}

export interface RecordPage {
  records: StoredRecord[]
  cursor?: string
}

export interface RepoApi {
  /** Creates a record; throws InvalidRecord, InvalidRequest (exists already), InvalidSwap, RepoNotFound, RateLimitExceeded. */
  createRecord(did: string, input: CreateRecordInput): Promise<WriteOutcome>
  /** Creates or replaces the record at collection/rkey; identical content makes no commit. */
  putRecord(did: string, input: PutRecordInput): Promise<WriteOutcome>
  /** Deletes the record (absent: nothing happens, unless a swap says otherwise). */
  deleteRecord(did: string, input: DeleteRecordInput): Promise<{ commit?: { cid: string; rev: string } }>
  /** The record, or null when there is none. `repo` is a DID or handle. */
  getRecord(repo: string, collection: string, rkey: string): Promise<StoredRecord | null>
  /** A page of a collection, newest first unless `reverse`. */
  listRecords(repo: string, collection: string, opts?: { limit?: number; cursor?: string; reverse?: boolean }): Promise<RecordPage>
}

export function createRepoApi(ctx: AppContext): RepoApi {
  /** The account acting on its own repository, as a full-access session would. */
  const actingAs = (did: string): Credentials => {
    const account = ctx.accounts.get(did)
    if (!account || account.status === 'deleted') throw new RepoNotFound(`Could not find repo: ${did}`)
    return { kind: 'access', did, account, claims: { did, scope: 'com.atproto.access', appPassword: null, appPasswordId: null, issuedAt: Math.floor(Date.now() / 1000) } }
  }

  /** What the router does before a handler: validate the input against the lexicon. */
  const checkInput = (nsid: string, input: unknown) => {
    try {
      return ctx.lexicons.assertValidXrpcInput(nsid, input)
    } catch (err) {
      throw new InvalidRequest(`Input: ${(err as Error).message}`)
    }
  }

  const checkParams = (nsid: string, params: Record<string, unknown>) => {
    try {
      return ctx.lexicons.assertValidXrpcParams(nsid, params) ?? params
    } catch (err) {
      throw new InvalidRequest((err as Error).message)
    }
  }

  const write = async (method: XrpcMethod, did: string, input: object, points: number) => {
    const auth = actingAs(did)
    const valid = checkInput(method.nsid, { repo: did, ...input })
    chargeWrites(ctx, did, points)
    return method.handler({ params: {}, input: valid, auth, ctx, c: undefined as never })
  }

  const read = async (method: XrpcMethod, params: Record<string, unknown>) => {
    const out = await method.handler({ params: checkParams(method.nsid, params), input: undefined, auth: null, ctx, c: undefined as never })
    // A handler may answer with JSON it already holds as text (getRecord's cache).
    return out instanceof JsonText ? JSON.parse(out.text) : out
  }

  return {
    createRecord: (did, input) => withTypedErrors(() => write(createRecord, did, input, WRITE_POINTS.create) as Promise<WriteOutcome>),
    putRecord: (did, input) => withTypedErrors(() => write(putRecord, did, input, WRITE_POINTS.update) as Promise<WriteOutcome>),
    deleteRecord: (did, input) => withTypedErrors(() => write(deleteRecord, did, input, WRITE_POINTS.delete) as Promise<{ commit?: { cid: string; rev: string } }>),
    getRecord: (repo, collection, rkey) =>
      withTypedErrors(async () => {
        try {
          return (await read(getRecord, { repo, collection, rkey })) as StoredRecord
        } catch (err) {
          if ((err as { error?: string }).error === 'RecordNotFound') return null
          throw err
        }
      }),
    listRecords: (repo, collection, opts = {}) => withTypedErrors(() => read(listRecords, { repo, collection, ...opts }) as Promise<RecordPage>),
  }
}

/** The account's write budget, as XRPC charges it (src/ops/rate-limits.ts); a refusal is counted in the same metric. */
export function chargeWrites(ctx: AppContext, did: string, points: number): void {
  try {
    ctx.rateLimits.take(ctx.rateLimits.writeCharges(did), points)
  } catch (err) {
    if (err instanceof RateLimitExceeded) ctx.metrics.rateLimited.inc({ limit: err.limitName })
    throw err
  }
}

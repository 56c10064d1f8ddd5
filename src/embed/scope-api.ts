/**
 * An account's scopes (private, grant-gated data), for the host's server
 * code: ingest as `dev.hearth.scope.ingest` does (the same service, checks
 * and write budget; one call is one commit, or nothing), and read as the
 * owner reads them (`dev.hearth.scope.listRecords`, newest first).
 *
 * @example
 * await pds.scopes.ingest(did, 'notes.drafts', [{ text: 'unfinished' }])
 * const { records } = await pds.scopes.listRecords(did, 'notes.drafts')
 */
import type { AppContext } from '../context.js'
import { ensureValidScopeName } from '../scope/scope-name.js'
import { WRITE_POINTS } from '../ops/rate-limits.js'
import { AccountNotFound, invalidRequest } from '../errors/hearth-error.js'
import type { IngestResult } from '../scope/scope-ingest.js'
import { withTypedErrors } from './typed-errors.js'
import { ingestItems } from '../scope/ingest-items.js'
import { chargeWrites } from './repo-api.js'

export interface ScopeRecord {
  rkey: string
  cid: string
  /** `{ $type: 'dev.hearth.scope.record', scope, collectedAt, data }` */
  value: { $type: 'dev.hearth.scope.record'; scope: string; collectedAt: string; data: Record<string, unknown> }
}

export interface ScopeApi {
  /**
   * Writes one object or a batch into `did`'s scope as one commit, as
   * `dev.hearth.scope.ingest { data }` does; `{ items: [{ key, data }] }`
   * gives keys (ingesting a key again updates it; unchanged data makes no commit).
   */
  ingest(did: string, scope: string, data: object | object[] | { items: { key?: string; data: object }[] }): Promise<IngestResult>
  listRecords(did: string, scope: string, opts?: { limit?: number; cursor?: string; reverse?: boolean }): Promise<{ records: ScopeRecord[]; cursor?: string }>
}

export function createScopeApi(ctx: AppContext): ScopeApi {
  return {
    ingest: (did, scope, data) =>
      withTypedErrors(async () => {
        // The same reading of `data` / `items` as the XRPC method's body.
        const items = ingestItems(!Array.isArray(data) && 'items' in data ? (data as Record<string, unknown>) : { data })
        if (!ctx.accounts.get(did)) throw new AccountNotFound(`No account ${did}`)
        ensureValidScopeName(scope)
        // Priced as XRPC prices it: a create per object.
        chargeWrites(ctx, did, WRITE_POINTS.create * Math.max(1, items.length))
        return ctx.scopes.ingest.ingest(did, scope, items)
      }),
    listRecords: (did, scope, opts = {}) =>
      withTypedErrors(async () => {
        const name = ensureValidScopeName(scope)
        if (!ctx.accounts.get(did)) throw new AccountNotFound(`No account ${did}`)
        const limit = opts.limit ?? 50
        if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw invalidRequest('limit must be 1 to 100')
        const page = ctx.repoReader.listRecords(did, name, { limit, cursor: opts.cursor, reverse: opts.reverse }, name)
        return {
          records: page.records.map((r) => ({ rkey: r.uri.slice(r.uri.lastIndexOf('/') + 1), cid: r.cid, value: r.value as ScopeRecord['value'] })),
          ...(page.cursor ? { cursor: page.cursor } : {}),
        }
      }),
  }
}

/**
 * dev.hearth.scope.listRecords: a page of a scope's records, newest first
 * by collectedAt (oldest first with `reverse`), for an app holding a grant
 * (or the owner). Each page read is logged.
 */
import { xrpcMethod } from '../../../xrpc-router.js'
import { ensureValidScopeName } from '../../../../scope/scope-name.js'
import { authorizeScopeRead, noteScopeRead } from '../../../../grant/scope-read-access.js'
import { scopeRecordJson } from '../../../../repo/repo-reader.js'

const NSID = 'dev.hearth.scope.listRecords'

interface Params {
  repo: string
  scope: string
  limit?: number
  cursor?: string
  reverse?: boolean
}

export default xrpcMethod<Params>({
  nsid: NSID,
  auth: 'serviceOrOwner',
  async handler({ params, ctx, auth }) {
    const scope = ensureValidScopeName(params.scope)
    const reader = authorizeScopeRead(ctx, auth!, params.repo, scope)
    const page = ctx.scopes.records.page(reader.ownerDid, scope, { limit: params.limit ?? 50, cursor: params.cursor, reverse: params.reverse })
    noteScopeRead(ctx, reader, { scope, method: NSID, detail: `${page.rows.length} records` })
    return {
      records: page.rows.map((r) => ({ rkey: r.rkey, cid: r.cid, collectedAt: r.collectedAt, value: scopeRecordJson(r.content) })),
      ...(page.cursor ? { cursor: page.cursor } : {}),
    }
  },
})

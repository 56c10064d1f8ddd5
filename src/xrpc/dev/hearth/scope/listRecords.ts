/**
 * dev.hearth.scope.listRecords: a page of a scope's records, newest first,
 * for an app holding a grant (or the owner). Each page read is logged.
 */
import { xrpcMethod } from '../../../xrpc-router.js'
import { ensureValidScopeName } from '../../../../scope/scope-name.js'
import { authorizeScopeRead, noteScopeRead } from '../../../../grant/scope-read-access.js'

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
    const limit = params.limit ?? 50
    const page = ctx.repoReader.listRecords(params.repo, scope, { limit, cursor: params.cursor, reverse: params.reverse }, scope)
    noteScopeRead(ctx, reader, { repo: params.repo, scope, method: NSID, detail: `${page.records.length} records` })
    return {
      records: page.records.map((r) => ({ rkey: r.uri.slice(r.uri.lastIndexOf('/') + 1), cid: r.cid, value: r.value })),
      ...(page.cursor ? { cursor: page.cursor } : {}),
    }
  },
})

import type { ComAtprotoRepoListRecords } from '@atproto/api'
import { ensureValidRecordKey } from '@atproto/syntax'
import { JsonText, xrpcMethod } from '../../../xrpc-router.js'
import { invalidRequest } from '../../../xrpc-error.js'
import { resolveReadableRepo } from './resolve-repo.js'

export default xrpcMethod<ComAtprotoRepoListRecords.QueryParams>({
  nsid: 'com.atproto.repo.listRecords',
  auth: 'none',
  // Public, synchronous, answers a JsonText: also answered by the lean read path.
  lean: true,
  handler({ params, ctx }) {
    const { did } = resolveReadableRepo(ctx, params.repo)
    if (params.cursor !== undefined) {
      try {
        ensureValidRecordKey(params.cursor)
      } catch {
        throw invalidRequest(`Invalid cursor: ${params.cursor}`)
      }
    }
    const page = ctx.repoReader.listRecordsJson(did, params.collection, {
      limit: params.limit ?? 50,
      cursor: params.cursor,
      reverse: params.reverse ?? false,
    })
    return new JsonText(page)
  },
})

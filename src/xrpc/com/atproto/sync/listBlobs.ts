import type { ComAtprotoSyncListBlobs } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'
import { invalidRequest } from '../../../xrpc-error.js'
import { resolveReadableRepo } from '../repo/resolve-repo.js'

export default xrpcMethod<ComAtprotoSyncListBlobs.QueryParams>({
  nsid: 'com.atproto.sync.listBlobs',
  auth: 'optional',
  handler({ params, ctx, auth }) {
    const { did } = resolveReadableRepo(ctx, params.did, auth)
    const limit = params.limit ?? 500
    const cids = ctx.blobIndex.list(did, { limit, cursor: params.cursor, since: params.since })
    return { cids, cursor: cids.length === limit ? cids[cids.length - 1] : undefined }
  },
})

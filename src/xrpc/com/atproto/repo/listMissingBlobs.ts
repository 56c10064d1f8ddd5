import type { ComAtprotoRepoListMissingBlobs } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'

export default xrpcMethod<ComAtprotoRepoListMissingBlobs.QueryParams>({
  nsid: 'com.atproto.repo.listMissingBlobs',
  auth: 'access',
  handler({ params, auth, ctx }) {
    return ctx.moves.status.missingBlobs(auth!.did, { limit: params.limit ?? 500, cursor: params.cursor })
  },
})

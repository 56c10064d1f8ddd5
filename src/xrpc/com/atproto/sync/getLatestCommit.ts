import type { ComAtprotoSyncGetLatestCommit } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'
import { invalidRequest } from '../../../xrpc-error.js'
import { resolveReadableRepo } from '../repo/resolve-repo.js'

export default xrpcMethod<ComAtprotoSyncGetLatestCommit.QueryParams>({
  nsid: 'com.atproto.sync.getLatestCommit',
  auth: 'none',
  handler({ params, ctx }) {
    const { did } = resolveReadableRepo(ctx, params.did)
    const head = ctx.repoReader.head(did)
    if (!head) throw invalidRequest(`Could not find root for DID: ${did}`, 'RepoNotFound')
    return head
  },
})

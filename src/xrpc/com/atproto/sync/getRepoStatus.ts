import type { ComAtprotoSyncGetRepoStatus } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'
import { resolveRepo } from '../repo/resolve-repo.js'

export default xrpcMethod<ComAtprotoSyncGetRepoStatus.QueryParams>({
  nsid: 'com.atproto.sync.getRepoStatus',
  auth: 'none',
  handler({ params, ctx }) {
    const account = resolveRepo(ctx, params.did)
    const active = account.status === 'active'
    const head = ctx.repoReader.head(account.did)
    return {
      did: account.did,
      active,
      ...(active ? {} : { status: account.status }),
      ...(active && head ? { rev: head.rev } : {}),
    }
  },
})

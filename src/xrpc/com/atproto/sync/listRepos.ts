import type { ComAtprotoSyncListRepos } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'

export default xrpcMethod<ComAtprotoSyncListRepos.QueryParams>({
  nsid: 'com.atproto.sync.listRepos',
  auth: 'none',
  handler({ params, ctx }) {
    const limit = params.limit ?? 500
    const accounts = ctx.accounts.list(limit, params.cursor)
    const repos = accounts.flatMap((a) => {
      const head = ctx.repoReader.head(a.did)
      if (!head) return []
      const active = a.status === 'active'
      return [{ did: a.did, head: head.cid, rev: head.rev, active, ...(active ? {} : { status: a.status }) }]
    })
    return { repos, cursor: accounts.length === limit ? accounts[accounts.length - 1].did : undefined }
  },
})

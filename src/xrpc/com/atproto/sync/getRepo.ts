import type { ComAtprotoSyncGetRepo } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'
import { invalidRequest } from '../../../xrpc-error.js'
import { resolveReadableRepo } from '../repo/resolve-repo.js'

export default xrpcMethod<ComAtprotoSyncGetRepo.QueryParams>({
  nsid: 'com.atproto.sync.getRepo',
  auth: 'optional',
  handler({ params, ctx, auth }) {
    const { did } = resolveReadableRepo(ctx, params.did, auth)
    const car = ctx.repoReader.exportCar(did, { since: params.since })
    if (!car) throw invalidRequest(`Could not find repo for DID: ${did}`, 'RepoNotFound')
    return new Response(car, { headers: { 'content-type': 'application/vnd.ipld.car' } })
  },
})

/**
 * dev.hearth.scope.getRepo: the whole scope repository (or the blocks since
 * a rev) as a CAR rooted at its signed commit, streamed from one read
 * snapshot, like com.atproto.sync.getRepo.
 */
import { xrpcMethod } from '../../../xrpc-router.js'
import { XrpcError } from '../../../xrpc-error.js'
import { ensureValidScopeName } from '../../../../scope/scope-name.js'
import { authorizeScopeRead, noteScopeRead } from '../../../../grant/scope-read-access.js'

const NSID = 'dev.hearth.scope.getRepo'

export default xrpcMethod<{ repo: string; scope: string; since?: string }>({
  nsid: NSID,
  auth: 'serviceOrOwner',
  async handler({ params, ctx, auth }) {
    const scope = ensureValidScopeName(params.scope)
    const reader = authorizeScopeRead(ctx, auth!, params.repo, scope)
    const car = ctx.repoReader.exportCar(reader.ownerDid, { scope, since: params.since })
    if (!car) throw new XrpcError(404, 'RepoNotFound', `Scope ${scope} of ${params.repo} holds no records yet`)
    noteScopeRead(ctx, reader, { scope, method: NSID, detail: params.since ? `since ${params.since}` : 'whole scope' })
    return new Response(car, { headers: { 'content-type': 'application/vnd.ipld.car' } })
  },
})

/**
 * dev.hearth.grant.revoke: ends one of the owner's grants now. Reads fail
 * and the scoped firehose stops its events from the next one on.
 */
import { xrpcMethod } from '../../../xrpc-router.js'
import { XrpcError } from '../../../xrpc-error.js'
import { grantView } from '../../../../grant/grant-view.js'

export default xrpcMethod<unknown, { id: string }>({
  nsid: 'dev.hearth.grant.revoke',
  auth: 'access',
  handler({ input, auth, ctx }) {
    const grant = ctx.scopes.grants.revoke(auth!.did, input.id)
    if (!grant) throw new XrpcError(404, 'GrantNotFound', `This account has no grant ${input.id}`)
    return grantView(grant)
  },
})

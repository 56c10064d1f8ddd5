/**
 * dev.hearth.grant.getRequest: the state of an access request, for the app
 * that made it (inter-service JWT). Another app's request reads as unknown.
 */
import { xrpcMethod } from '../../../xrpc-router.js'
import { XrpcError } from '../../../xrpc-error.js'
import { accessRequestView } from '../../../../grant/grant-view.js'

const NSID = 'dev.hearth.grant.getRequest'

export default xrpcMethod<{ id: string }>({
  nsid: NSID,
  auth: 'service',
  handler({ params, ctx, auth }) {
    const iss = auth!.did
    const request = ctx.scopes.requests.get(params.id)
    if (!request || request.appDid !== iss) throw new XrpcError(404, 'RequestNotFound', `No access request ${params.id} from ${iss}`)
    return accessRequestView(request)
  },
})

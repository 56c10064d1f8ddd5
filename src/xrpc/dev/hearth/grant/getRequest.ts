/**
 * dev.hearth.grant.getRequest: the state of an access request, for the app
 * that made it (inter-service JWT). Another app's request reads as unknown.
 */
import { xrpcMethod } from '../../../xrpc-router.js'
import { XrpcError } from '../../../xrpc-error.js'
import { bearerToken } from '../../../../auth/service-jwt.js'
import { accessRequestView } from '../../../../grant/grant-view.js'

const NSID = 'dev.hearth.grant.getRequest'

export default xrpcMethod<{ id: string }>({
  nsid: NSID,
  auth: 'none',
  async handler({ params, ctx, c }) {
    const { iss } = await ctx.scopes.serviceJwt.verify(bearerToken(c.req.header('authorization')), NSID)
    const request = ctx.scopes.requests.get(params.id)
    if (!request || request.appDid !== iss) throw new XrpcError(404, 'RequestNotFound', `No access request ${params.id} from ${iss}`)
    return accessRequestView(request)
  },
})

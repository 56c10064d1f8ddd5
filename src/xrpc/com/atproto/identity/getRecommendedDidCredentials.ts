import { xrpcMethod } from '../../../xrpc-router.js'

export default xrpcMethod({
  nsid: 'com.atproto.identity.getRecommendedDidCredentials',
  auth: 'access',
  handler({ auth, ctx }) {
    return ctx.moves.plcOps.recommended(auth!.account)
  },
})

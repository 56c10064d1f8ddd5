import { xrpcMethod } from '../../../xrpc-router.js'

export default xrpcMethod({
  nsid: 'com.atproto.server.deleteSession',
  auth: 'refresh',
  handler({ auth, ctx }) {
    if (auth?.kind === 'refresh') ctx.tokens.consumeRefresh(auth.claims.jti)
  },
})

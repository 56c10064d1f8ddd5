import { xrpcMethod } from '../../../xrpc-router.js'

export default xrpcMethod({
  nsid: 'com.atproto.server.deactivateAccount',
  auth: 'accessFull',
  handler({ auth, ctx }) {
    if (auth!.account.status === 'active') ctx.accountService.setStatus(auth!.did, 'deactivated')
  },
})

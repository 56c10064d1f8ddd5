import { xrpcMethod } from '../../../xrpc-router.js'

export default xrpcMethod({
  nsid: 'com.atproto.server.activateAccount',
  auth: 'accessFull',
  handler({ auth, ctx }) {
    if (auth!.account.status !== 'active') ctx.accountService.setStatus(auth!.did, 'active')
  },
})

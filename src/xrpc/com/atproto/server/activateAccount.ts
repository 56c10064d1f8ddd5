import { xrpcMethod } from '../../../xrpc-router.js'

export default xrpcMethod({
  nsid: 'com.atproto.server.activateAccount',
  auth: 'accessFull',
  async handler({ auth, ctx }) {
    // Checks the DID document points here first, then #identity, #account and #sync in one transaction.
    if (auth!.account.status !== 'active') await ctx.moves.incoming.activate(auth!.account)
  },
})

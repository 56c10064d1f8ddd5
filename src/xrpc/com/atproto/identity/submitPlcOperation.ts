import type { ComAtprotoIdentitySubmitPlcOperation } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'

export default xrpcMethod<unknown, ComAtprotoIdentitySubmitPlcOperation.InputSchema>({
  nsid: 'com.atproto.identity.submitPlcOperation',
  auth: 'accessFull',
  async handler({ input, auth, ctx }) {
    await ctx.moves.plcOps.submit(auth!.account, input.operation)
  },
})

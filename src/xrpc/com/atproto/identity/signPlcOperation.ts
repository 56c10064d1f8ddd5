import type { ComAtprotoIdentitySignPlcOperation } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'

export default xrpcMethod<unknown, ComAtprotoIdentitySignPlcOperation.InputSchema>({
  nsid: 'com.atproto.identity.signPlcOperation',
  auth: 'accessFull',
  async handler({ input, auth, ctx }) {
    const operation = await ctx.moves.plcOps.signForMove(auth!.account, input as never)
    return { operation }
  },
})

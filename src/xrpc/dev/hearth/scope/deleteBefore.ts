/** dev.hearth.scope.deleteBefore: the owner deletes everything collected before a date, in one scope or all. */
import { xrpcMethod } from '../../../xrpc-router.js'

export default xrpcMethod<unknown, { scope?: string; before: string }>({
  nsid: 'dev.hearth.scope.deleteBefore',
  auth: 'access',
  async handler({ input, auth, ctx }) {
    return { scopes: await ctx.scopes.eraser.deleteBefore(auth!.did, input.scope ?? null, input.before) }
  },
})

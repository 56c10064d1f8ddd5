/** dev.hearth.scope.deleteScope: the owner deletes a whole scope (erased, see src/scope/scope-eraser.ts). */
import { xrpcMethod } from '../../../xrpc-router.js'

export default xrpcMethod<unknown, { scope: string }>({
  nsid: 'dev.hearth.scope.deleteScope',
  auth: 'access',
  async handler({ input, auth, ctx }) {
    return ctx.scopes.eraser.deleteScope(auth!.did, input.scope)
  },
})

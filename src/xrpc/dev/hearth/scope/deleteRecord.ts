/** dev.hearth.scope.deleteRecord: the owner deletes one record of a scope by key (erased, see src/scope/scope-eraser.ts). */
import { xrpcMethod } from '../../../xrpc-router.js'

export default xrpcMethod<unknown, { scope: string; key: string }>({
  nsid: 'dev.hearth.scope.deleteRecord',
  auth: 'access',
  async handler({ input, auth, ctx }) {
    return ctx.scopes.eraser.deleteRecord(auth!.did, input.scope, input.key)
  },
})

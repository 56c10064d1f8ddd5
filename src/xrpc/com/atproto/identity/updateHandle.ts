import type { ComAtprotoIdentityUpdateHandle } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'
import { didDocFor } from '../../../../identity/did-documents.js'

export default xrpcMethod<unknown, ComAtprotoIdentityUpdateHandle.InputSchema>({
  nsid: 'com.atproto.identity.updateHandle',
  auth: 'accessFull',
  async handler({ input, auth, ctx }) {
    await ctx.accountService.updateHandle(auth!.did, input.handle, (h) => ctx.idResolver.handle.resolve(h).catch(() => undefined))
    await didDocFor(ctx, auth!.did, true) // refresh the cached document
  },
})

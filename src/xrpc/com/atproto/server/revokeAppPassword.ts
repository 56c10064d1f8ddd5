import type { ComAtprotoServerRevokeAppPassword } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'

export default xrpcMethod<unknown, ComAtprotoServerRevokeAppPassword.InputSchema>({
  nsid: 'com.atproto.server.revokeAppPassword',
  auth: 'accessFull',
  handler({ input, auth, ctx }) {
    ctx.appPasswords.revoke(auth!.did, input.name)
  },
})

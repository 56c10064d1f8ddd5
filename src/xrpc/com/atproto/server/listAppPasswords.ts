import { xrpcMethod } from '../../../xrpc-router.js'

export default xrpcMethod({
  nsid: 'com.atproto.server.listAppPasswords',
  auth: 'access',
  handler({ auth, ctx }) {
    return { passwords: ctx.appPasswords.list(auth!.did).map(({ name, createdAt, privileged }) => ({ name, createdAt, privileged })) }
  },
})

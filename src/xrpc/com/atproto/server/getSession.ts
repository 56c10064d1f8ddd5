import { xrpcMethod } from '../../../xrpc-router.js'
import { didDocFor } from '../../../../identity/did-documents.js'
import { sessionStatus } from './session-status.js'

export default xrpcMethod({
  nsid: 'com.atproto.server.getSession',
  auth: 'access',
  async handler({ auth, ctx }) {
    const account = auth!.account
    // An OAuth app sees the email only with account:email (or transition:email).
    const showEmail = auth!.kind !== 'oauth' || auth!.permissions.allowsAccount({ attr: 'email', action: 'read' })
    return {
      did: account.did,
      handle: account.handle,
      ...(account.email && showEmail ? { email: account.email, emailConfirmed: false } : {}),
      didDoc: await didDocFor(ctx, account.did),
      ...sessionStatus(account),
    }
  },
})

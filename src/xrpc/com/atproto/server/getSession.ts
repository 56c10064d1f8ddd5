import { xrpcMethod } from '../../../xrpc-router.js'
import { didDocForSession } from '../../../../identity/did-documents.js'
import { sessionStatus } from './session-status.js'

export default xrpcMethod({
  nsid: 'com.atproto.server.getSession',
  auth: 'access',
  async handler({ auth, ctx }) {
    const account = auth!.account
    return {
      did: account.did,
      handle: account.handle,
      ...(account.email ? { email: account.email, emailConfirmed: false } : {}),
      didDoc: await didDocForSession(ctx, account),
      ...sessionStatus(account),
    }
  },
})

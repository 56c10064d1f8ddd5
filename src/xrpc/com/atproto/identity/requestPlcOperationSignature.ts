import { xrpcMethod } from '../../../xrpc-router.js'

/**
 * The reference mails the confirmation code here. Hearth has no mail
 * service: the signed-in person makes the code on their "Move your
 * account" page (/account/move), so this only records that it was asked.
 */
export default xrpcMethod({
  nsid: 'com.atproto.identity.requestPlcOperationSignature',
  auth: 'accessFull',
  handler({ auth, ctx }) {
    ctx.logger.info({ did: auth!.did }, 'PLC operation signature requested: the confirmation code is on /account/move')
  },
})

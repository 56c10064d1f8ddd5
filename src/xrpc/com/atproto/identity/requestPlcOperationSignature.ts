import { xrpcMethod } from '../../../xrpc-router.js'

/**
 * The reference mails the confirmation code signPlcOperation takes. Hearth
 * does the same where mail is configured and the account has an address;
 * either way the signed-in person can make a code on their "Move your
 * account" page (/account/move). A new code replaces the previous one.
 */
export default xrpcMethod({
  nsid: 'com.atproto.identity.requestPlcOperationSignature',
  auth: 'accessFull',
  async handler({ auth, ctx }) {
    const account = auth!.account
    if (!ctx.mailer || !account.email) {
      ctx.logger.info({ did: account.did }, 'PLC operation signature requested: the confirmation code is on /account/move')
      return
    }
    const code = ctx.moves.plcTokens.create(account.did)
    await ctx.mailer.sendPlcOperationCode(account.email, code, ctx.config.serverName)
    ctx.logger.info({ did: account.did }, 'PLC operation signature requested: the confirmation code was mailed')
  },
})

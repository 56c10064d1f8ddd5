/**
 * com.atproto.server.getAccountInviteCodes: the invite codes made for the
 * caller's account. Hearth hands out invite codes through the control socket
 * only, so this is often empty; clients and checkers call it all the same.
 * `includeUsed: false` leaves out codes with no use left; `createAvailable`
 * is accepted and ignored (no codes are made on request), as on the reference PDS.
 */
import { xrpcMethod } from '../../../xrpc-router.js'

export default xrpcMethod<{ includeUsed?: boolean; createAvailable?: boolean }>({
  nsid: 'com.atproto.server.getAccountInviteCodes',
  auth: 'access',
  handler({ params, auth, ctx }) {
    const codes = ctx.invites.forAccount(auth!.did)
    const includeUsed = params.includeUsed ?? true
    return { codes: includeUsed ? codes : codes.filter((c) => !c.disabled && c.uses.length < c.available) }
  },
})

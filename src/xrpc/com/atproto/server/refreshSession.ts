import { xrpcMethod } from '../../../xrpc-router.js'
import { XrpcError } from '../../../xrpc-error.js'
import { didDocFor } from '../../../../identity/did-documents.js'
import { sessionStatus } from './session-status.js'

export default xrpcMethod({
  nsid: 'com.atproto.server.refreshSession',
  auth: 'refresh',
  async handler({ auth, ctx }) {
    if (auth?.kind !== 'refresh') throw new XrpcError(401, 'InvalidToken', 'A refresh token is required')
    const { claims, account } = auth
    // By id; a refresh token from before ids existed by name (revoking deletes the
    // password's refresh tokens with it, so a live one names the live password).
    const appPassword = claims.appPasswordId
      ? ctx.appPasswords.byId(account.did, claims.appPasswordId)
      : claims.appPassword
        ? (ctx.appPasswords.list(account.did).find((p) => p.name === claims.appPassword) ?? null)
        : null
    if (claims.appPassword && !appPassword) throw new XrpcError(401, 'ExpiredToken', 'The app password of this session was revoked')
    // Single use: of two racing refreshes with one token, one wins.
    if (!ctx.tokens.consumeRefresh(claims.jti)) throw new XrpcError(401, 'ExpiredToken', 'Refresh token already used')
    const tokens = await ctx.tokens.issue(account.did, appPassword)
    return {
      ...tokens,
      did: account.did,
      handle: account.handle,
      didDoc: await didDocFor(ctx, account.did),
      ...sessionStatus(account),
    }
  },
})

import type { ComAtprotoServerCreateSession } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'
import { XrpcError } from '../../../xrpc-error.js'
import { verifyPassword } from '../../../../account/password-hash.js'
import { didDocFor } from '../../../../identity/did-documents.js'
import { sessionStatus } from './session-status.js'
import { checkSignInIdentifier } from '../../../../ops/identifier-limits.js'

export default xrpcMethod<unknown, ComAtprotoServerCreateSession.InputSchema>({
  nsid: 'com.atproto.server.createSession',
  auth: 'none',
  async handler({ input, ctx }) {
    checkSignInIdentifier(input.identifier)
    const account = ctx.accounts.lookup(input.identifier)
    const refuse = () => new XrpcError(401, 'AuthenticationRequired', 'Invalid identifier or password')
    if (!account || account.status === 'deleted') {
      // Same work and answer for an unknown identifier, so it can't be told apart by timing.
      await verifyPassword(input.password, 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')
      throw refuse()
    }
    if (account.status === 'takendown') throw new XrpcError(401, 'AccountTakedown', 'Account has been taken down')
    let appPassword: { id: string; name: string; privileged: boolean } | null = null
    const mainOk = account.passwordHash ? await verifyPassword(input.password, account.passwordHash) : false
    if (!mainOk) {
      appPassword = await ctx.appPasswords.match(account.did, input.password)
      if (!appPassword) throw refuse()
    }
    const tokens = await ctx.tokens.issue(account.did, appPassword)
    return {
      ...tokens,
      did: account.did,
      handle: account.handle,
      ...(account.email ? { email: account.email, emailConfirmed: false } : {}),
      didDoc: await didDocFor(ctx, account.did),
      ...sessionStatus(account),
    }
  },
})

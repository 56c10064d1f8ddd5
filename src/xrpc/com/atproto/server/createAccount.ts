import type { ComAtprotoServerCreateAccount } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'
import { invalidRequest } from '../../../xrpc-error.js'
import { bearerToken } from '../../../../auth/authorization-header.js'
import { didDocFor, didDocForSession } from '../../../../identity/did-documents.js'

export default xrpcMethod<unknown, ComAtprotoServerCreateAccount.InputSchema>({
  nsid: 'com.atproto.server.createAccount',
  auth: 'none',
  async handler({ input, ctx, c }) {
    if (input.did) {
      if (input.plcOp) throw invalidRequest('plcOp is not supported: an account moving in keeps its DID and sends its PLC operation after the import')
      const moving = await ctx.moves.incoming.create({
        did: input.did,
        handle: input.handle,
        email: input.email,
        password: input.password,
        inviteCode: input.inviteCode,
        serviceAuth: bearerToken(c.req.header('authorization')),
      })
      const tokens = await ctx.tokens.issue(moving.did, null)
      return { handle: moving.handle, did: moving.did, didDoc: await didDocForSession(ctx, moving, true), ...tokens }
    }
    if (input.plcOp) throw invalidRequest('plcOp is not supported: the server makes the genesis operation', 'InvalidRequest')
    if (!input.password) throw invalidRequest('A password is required', 'InvalidPassword')
    const account = await ctx.accountService.create({
      handle: input.handle,
      email: input.email,
      password: input.password,
      inviteCode: input.inviteCode,
      recoveryKey: input.recoveryKey,
    })
    const tokens = await ctx.tokens.issue(account.did, null)
    return { handle: account.handle, did: account.did, didDoc: await didDocFor(ctx, account.did), ...tokens }
  },
})

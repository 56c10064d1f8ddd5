import type { ComAtprotoIdentityRefreshIdentity } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'
import { identityInfo } from '../../../../identity/identity-info.js'

/**
 * com.atproto.identity.refreshIdentity: resolveIdentity, read afresh from
 * the directory. For signed-in callers only: each call costs a directory
 * lookup, which strangers should not be able to order in bulk.
 */
export default xrpcMethod<unknown, ComAtprotoIdentityRefreshIdentity.InputSchema>({
  nsid: 'com.atproto.identity.refreshIdentity',
  auth: 'access',
  handler: ({ input, ctx }) => identityInfo(ctx, input.identifier, true),
})

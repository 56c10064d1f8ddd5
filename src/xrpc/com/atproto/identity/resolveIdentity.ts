import type { ComAtprotoIdentityResolveIdentity } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'
import { identityInfo } from '../../../../identity/identity-info.js'

/** com.atproto.identity.resolveIdentity: DID, DID document and the handle verified both ways. */
export default xrpcMethod<ComAtprotoIdentityResolveIdentity.QueryParams>({
  nsid: 'com.atproto.identity.resolveIdentity',
  auth: 'none',
  handler: ({ params, ctx }) => identityInfo(ctx, params.identifier),
})

import type { ComAtprotoIdentityResolveDid } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'
import { resolveDidDoc } from '../../../../identity/identity-info.js'

/** com.atproto.identity.resolveDid: the DID document, as the directory has it (handle not checked). */
export default xrpcMethod<ComAtprotoIdentityResolveDid.QueryParams>({
  nsid: 'com.atproto.identity.resolveDid',
  auth: 'none',
  async handler({ params, ctx }) {
    return { didDoc: await resolveDidDoc(ctx, params.did) }
  },
})

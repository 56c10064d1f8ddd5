/**
 * com.atproto.server.getServiceAuth: a signed inter-service JWT for the
 * caller's account, for a client to present to another service itself
 * (uploading video, a migration's createAccount at the new PDS, a feed).
 *
 * Limits (those of the reference PDS): `exp` not past and at most an hour
 * ahead; a token without `lxm` (good for any method) at most a minute;
 * never for a protected method; privileged methods need full access.
 */
import type { ComAtprotoServerGetServiceAuth } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'
import { invalidRequest } from '../../../xrpc-error.js'
import { isProtectedMethod } from '../../../../proxy/method-classes.js'
import { assertMayCallService } from '../../../../auth/service-call-permission.js'

const MAX_EXP_AHEAD_SEC = 60 * 60
const MAX_METHODLESS_EXP_AHEAD_SEC = 60

export default xrpcMethod<ComAtprotoServerGetServiceAuth.QueryParams>({
  nsid: 'com.atproto.server.getServiceAuth',
  auth: 'access',
  async handler({ params, auth, ctx }) {
    const { aud, exp, lxm } = params
    if (lxm && isProtectedMethod(lxm)) {
      throw invalidRequest(`No service token is given for ${lxm}: it manages the account and is only ever called at this server directly`)
    }
    assertMayCallService(auth!, { lxm: lxm ?? '*', aud })
    if (exp !== undefined) {
      const ahead = exp - Math.floor(Date.now() / 1000)
      if (ahead < 0) throw invalidRequest('exp is in the past', 'BadExpiration')
      if (ahead > MAX_EXP_AHEAD_SEC) throw invalidRequest('exp may be at most an hour ahead', 'BadExpiration')
      if (!lxm && ahead > MAX_METHODLESS_EXP_AHEAD_SEC) {
        throw invalidRequest('A token without lxm (good for any method) may live at most a minute: name the method, or ask for a shorter exp', 'BadExpiration')
      }
    }
    return { token: await ctx.serviceJwts.issue({ iss: auth!.did, aud, lxm, exp }) }
  },
})

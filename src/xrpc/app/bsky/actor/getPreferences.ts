/**
 * app.bsky.actor.getPreferences: the account's preferences, kept on this
 * PDS (not at the AppView). The birth date only with full access. A call
 * whose atproto-proxy header names another AppView is that AppView's.
 */
import { xrpcMethod } from '../../../xrpc-router.js'
import { hasFullAccess } from '../../../../auth/service-call-permission.js'
import { forwardCall, proxiedElsewhere } from '../../../../proxy/forward-call.js'

export default xrpcMethod({
  nsid: 'app.bsky.actor.getPreferences',
  auth: 'access',
  async handler({ auth, ctx, c }) {
    if (proxiedElsewhere(ctx, c, 'app.bsky.actor.getPreferences')) {
      return ctx.serviceProxy.toClient(await forwardCall(ctx, c, 'app.bsky.actor.getPreferences', auth!))
    }
    return { preferences: ctx.preferences.get(auth!.did, 'app.bsky', { fullAccess: hasFullAccess(auth!) }) }
  },
})

/**
 * app.bsky.actor.getPreferences: the account's preferences, kept on this
 * PDS (not at the AppView). The birth date only with full access.
 */
import { xrpcMethod } from '../../../xrpc-router.js'
import { hasFullAccess } from '../../../../auth/service-call-permission.js'

export default xrpcMethod({
  nsid: 'app.bsky.actor.getPreferences',
  auth: 'access',
  handler({ auth, ctx }) {
    return { preferences: ctx.preferences.get(auth!.did, 'app.bsky', { fullAccess: hasFullAccess(auth!) }) }
  },
})

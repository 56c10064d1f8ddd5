/**
 * app.bsky.actor.putPreferences: replaces the account's `app.bsky`
 * preferences (the input is checked against the lexicon by the router). A
 * call whose atproto-proxy header names another AppView is that AppView's.
 */
import type { AppBskyActorPutPreferences } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'
import { hasFullAccess } from '../../../../auth/service-call-permission.js'
import type { Preference } from '../../../../account/preferences.js'
import { forwardCall, proxiedElsewhere } from '../../../../proxy/forward-call.js'

export default xrpcMethod<unknown, AppBskyActorPutPreferences.InputSchema>({
  nsid: 'app.bsky.actor.putPreferences',
  auth: 'access',
  async handler({ input, auth, ctx, c }) {
    if (proxiedElsewhere(ctx, c, 'app.bsky.actor.putPreferences')) {
      return ctx.serviceProxy.toClient(await forwardCall(ctx, c, 'app.bsky.actor.putPreferences', auth!, { json: input }))
    }
    ctx.preferences.put(auth!.did, input.preferences as Preference[], 'app.bsky', { fullAccess: hasFullAccess(auth!) })
  },
})

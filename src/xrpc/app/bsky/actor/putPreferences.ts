/**
 * app.bsky.actor.putPreferences: replaces the account's `app.bsky`
 * preferences (the input is checked against the lexicon by the router).
 */
import type { AppBskyActorPutPreferences } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'
import { hasFullAccess } from '../../../../auth/service-call-permission.js'
import type { Preference } from '../../../../account/preferences.js'

export default xrpcMethod<unknown, AppBskyActorPutPreferences.InputSchema>({
  nsid: 'app.bsky.actor.putPreferences',
  auth: 'access',
  handler({ input, auth, ctx }) {
    ctx.preferences.put(auth!.did, input.preferences as Preference[], 'app.bsky', { fullAccess: hasFullAccess(auth!) })
  },
})

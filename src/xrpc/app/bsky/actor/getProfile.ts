/**
 * app.bsky.actor.getProfile, answered by the AppView; the account's own
 * profile shows its newest profile record even before the AppView has it.
 */
import { xrpcMethod } from '../../../xrpc-router.js'
import { readAfterWrite } from '../../../../proxy/read-after-write/read-after-write.js'

export default xrpcMethod({
  nsid: 'app.bsky.actor.getProfile',
  auth: 'access',
  handler: (call) =>
    readAfterWrite(call, (answer, local, views) => (local.profile && answer.did === views.did ? views.withProfileDetailed(answer) : answer)),
})

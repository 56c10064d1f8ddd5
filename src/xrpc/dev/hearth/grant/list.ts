/** dev.hearth.grant.list: the owner's grants, newest first. */
import { xrpcMethod } from '../../../xrpc-router.js'
import { grantStatus } from '../../../../grant/grant-store.js'
import { grantView } from '../../../../grant/grant-view.js'

export default xrpcMethod<{ activeOnly?: boolean }>({
  nsid: 'dev.hearth.grant.list',
  auth: 'access',
  handler({ params, auth, ctx }) {
    const now = Date.now()
    const grants = ctx.scopes.grants.listForOwner(auth!.did).filter((g) => !params.activeOnly || grantStatus(g, now) === 'active')
    return { grants: grants.map((g) => grantView(g, now)) }
  },
})

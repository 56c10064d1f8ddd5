/**
 * dev.hearth.grant.create: the owner lets an app read some of their scopes.
 * Needs the account password or a privileged app password: a grant gives
 * away private data, which an ordinary app password must not be able to do.
 */
import { xrpcMethod } from '../../../xrpc-router.js'
import { invalidRequest } from '../../../xrpc-error.js'
import { ensureValidScopeList } from '../../../../scope/scope-name.js'
import { grantView } from '../../../../grant/grant-view.js'

export default xrpcMethod<unknown, { grantee: string; scopes: string[]; expiresAt?: string }>({
  nsid: 'dev.hearth.grant.create',
  auth: 'accessFull',
  handler({ input, auth, ctx }) {
    // A deactivated account serves its data to no one, so it cannot give any away either.
    if (auth!.account.status !== 'active') throw invalidRequest(`Account ${auth!.did} is ${auth!.account.status}`, 'AccountDeactivated')
    const scopes = ensureValidScopeList(input.scopes)
    if (input.grantee === auth!.did) throw invalidRequest('An account needs no grant to read its own scopes')
    let expiresAt: number | null = null
    if (input.expiresAt !== undefined) {
      expiresAt = Date.parse(input.expiresAt)
      if (!Number.isFinite(expiresAt) || expiresAt <= Date.now()) throw invalidRequest('expiresAt must be a time in the future')
    }
    const grant = ctx.scopes.grants.create({ owner: auth!.did, grantee: input.grantee, scopes, expiresAt })
    return grantView(grant)
  },
})

/**
 * dev.hearth.grant.requestAccess: an app (inter-service JWT) asks for
 * scopes. The answer names the page where the owner decides; the app polls
 * dev.hearth.grant.getRequest, or waits for the redirect it gave.
 */
import { xrpcMethod } from '../../../xrpc-router.js'
import { XrpcError, invalidRequest } from '../../../xrpc-error.js'
import { ensureValidScopeList } from '../../../../scope/scope-name.js'
import { approveUrl, checkRedirectUri } from '../../../../grant/approval-links.js'

const NSID = 'dev.hearth.grant.requestAccess'

interface Input {
  scopes: string[]
  reason: string
  redirectUri?: string
  repo?: string
}

export default xrpcMethod<unknown, Input>({
  nsid: NSID,
  auth: 'service',
  async handler({ input, ctx, auth }) {
    const iss = auth!.did
    const scopes = ensureValidScopeList(input.scopes)
    const reason = input.reason.trim()
    if (!reason) throw invalidRequest('reason must say why the app wants these scopes')
    const redirectUri = input.redirectUri === undefined ? null : checkRedirectUri(input.redirectUri)
    let ownerDid: string | null = null
    if (input.repo !== undefined) {
      const owner = ctx.accounts.lookup(input.repo)
      if (!owner || owner.status !== 'active') throw new XrpcError(400, 'AccountNotFound', `No active account ${input.repo} on this server`)
      ownerDid = owner.did
    }
    const request = ctx.scopes.requests.create({ appDid: iss, ownerDid, scopes, reason, redirectUri })
    return { id: request.id, approveUrl: approveUrl(ctx.config.publicUrl, request.id, ctx.config.pagesPrefix), expiresAt: new Date(request.expiresAt).toISOString() }
  },
})

/**
 * Who may read a scope on this call. Two kinds of reader:
 *
 * - an app, with an inter-service JWT for this very method, holding an
 *   active grant from the scope's owner that names the scope;
 * - the owner, with their own session access token.
 *
 * Everyone else gets the same 403, word for word, whether or not the
 * account or the scope exists: a caller without a grant learns nothing
 * about what is there. A bad token is a 401 that speaks only of the token.
 *
 * @example
 * const reader = authorizeScopeRead(ctx, auth!, params.repo, scope)  // auth: 'serviceOrOwner'
 * noteScopeRead(ctx, reader, { scope, method: NSID, detail: rkey }) // reader.ownerDid: the repo as a DID
 */
import type { AppContext } from '../context.js'
import type { Credentials } from '../auth/request-auth.js'
import { XrpcError } from '../xrpc/xrpc-error.js'

/** Who reads, and whose scope (`ownerDid`: the `repo` parameter, a handle or a DID, resolved). */
export type ScopeReader = ({ kind: 'app'; appDid: string; grantId: string } | { kind: 'owner'; did: string }) & { ownerDid: string }

export function scopeAccessDenied(repo: string, scope: string): XrpcError {
  return new XrpcError(403, 'ScopeAccessDenied', `No active grant lets the caller read scope ${scope} of ${repo}`)
}

/** Decides on the credentials the router checked (mode `serviceOrOwner`): an app's grant, or the owner themself. */
export function authorizeScopeRead(ctx: AppContext, auth: Credentials, repo: string, scope: string): ScopeReader {
  // A handle is looked up here; an unknown one is denied like any scope without a grant.
  const owner = repo.startsWith('did:') ? ctx.accounts.get(repo) : ctx.accounts.getByHandle(repo.toLowerCase())
  if (auth.kind !== 'service') {
    if (!owner || auth.did !== owner.did) throw scopeAccessDenied(repo, scope)
    return { kind: 'owner', did: owner.did, ownerDid: owner.did }
  }
  const grantId = owner?.status === 'active' ? ctx.scopes.grants.activeGrantFor(auth.did, owner.did, scope) : null
  if (!owner || !grantId) throw scopeAccessDenied(repo, scope)
  return { kind: 'app', appDid: auth.did, grantId, ownerDid: owner.did }
}

/** Writes an app's read into its grant's read log (the owner's own reads are not logged). */
export function noteScopeRead(ctx: AppContext, reader: ScopeReader, read: { scope: string; method: string; detail?: string }): void {
  if (reader.kind !== 'app') return
  ctx.scopes.readLog.record({ grantId: reader.grantId, appDid: reader.appDid, ownerDid: reader.ownerDid, scope: read.scope, method: read.method, detail: read.detail })
}

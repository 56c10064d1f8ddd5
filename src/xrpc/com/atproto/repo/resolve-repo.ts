/**
 * The `repo` parameter (a handle or a DID) → an account of this server.
 */
import { isValidHandle, ensureValidDid } from '@atproto/syntax'
import type { AppContext } from '../../../../context.js'
import type { Account } from '../../../../account/account-store.js'
import type { Credentials } from '../../../../auth/request-auth.js'
import { XrpcError, invalidRequest } from '../../../xrpc-error.js'

export function resolveRepo(ctx: AppContext, repo: string): Account {
  let account: Account | null
  if (repo.startsWith('did:')) {
    try {
      ensureValidDid(repo)
    } catch {
      throw invalidRequest(`Invalid DID: ${repo}`)
    }
    account = ctx.accounts.get(repo)
  } else {
    if (!isValidHandle(repo)) throw invalidRequest(`Invalid handle: ${repo}`)
    account = ctx.accounts.getByHandle(repo)
  }
  if (!account || account.status === 'deleted') throw invalidRequest(`Could not find repo: ${repo}`, 'RepoNotFound')
  return account
}

/**
 * A readable repo: taken-down and deactivated repos are not served, except a
 * deactivated one to its owner (an account that moved away stays readable to
 * its person until deleted, as on the reference).
 */
export function resolveReadableRepo(ctx: AppContext, repo: string, viewer?: Credentials | null): Account {
  const account = resolveRepo(ctx, repo)
  if (account.status === 'takendown') throw invalidRequest(`Repo has been taken down: ${repo}`, 'RepoTakendown')
  if (account.status === 'deactivated' && viewer?.did !== account.did) throw invalidRequest(`Repo is deactivated: ${repo}`, 'RepoDeactivated')
  return account
}

/** The caller's own, active repo, or a 4xx. */
export function resolveWritableRepo(ctx: AppContext, repo: string, auth: Credentials | null): Account {
  const account = resolveRepo(ctx, repo)
  if (!auth || auth.did !== account.did) throw new XrpcError(403, 'Forbidden', 'You can only write to your own repo')
  if (account.status !== 'active') throw invalidRequest(`Account is ${account.status}`, 'AccountDeactivated')
  return account
}

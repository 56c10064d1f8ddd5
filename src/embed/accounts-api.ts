/**
 * Accounts from the host's side: make one for a user the host already knows
 * (its own sign-in), link it to their GitHub or Google identity so that
 * signing in there reaches the same account, and look accounts up by DID,
 * handle, email or linked identity. Accounts are made through the admin
 * path of AccountService (a did:plc, a signing key, the first commit, the
 * #identity and #account events), so the registration policy, meant for
 * strangers, does not apply to the host's own users.
 *
 * @example
 * const account = await pds.accounts.create({ handle: 'ada.notes.example' })
 * pds.accounts.link(account.did, { provider: 'github', subject: '583231', username: 'ada' })
 * pds.accounts.byIdentity('github', '583231')?.did
 */
import type { AppContext } from '../context.js'
import type { Account } from '../account/account-store.js'
import { IdentityTakenError, LinkedIdentities, ProviderAlreadyLinkedError } from '../account/linked-identities.js'
import { HearthError, invalidRequest } from '../errors/hearth-error.js'
import { withTypedErrors } from './typed-errors.js'

/** An account as the host sees it (no key material, no password hash). */
export interface HostAccount {
  did: string
  handle: string
  email: string | null
  status: 'active' | 'deactivated' | 'takendown' | 'deleted'
  createdAt: string
}

export interface NewHostAccount {
  /** A full handle under one of the handle domains (`ada.notes.example`). */
  handle: string
  email?: string
  /** Lets the person also sign in with a password (8–256 characters); leave out for sign-in through the host or a provider only. */
  password?: string
}

export interface IdentityToLink {
  provider: 'github' | 'google'
  /** The provider's stable user id (GitHub's numeric id, Google's `sub`), as a string. */
  subject: string
  /** Shown on the person's pages (GitHub login, Google email). */
  username: string
  email?: string | null
}

export interface AccountsApi {
  create(account: NewHostAccount): Promise<HostAccount>
  /** Throws IdentityTaken (another account has it) or ProviderAlreadyLinked (this account has another of that provider). */
  link(did: string, identity: IdentityToLink): void
  /** By DID, handle or email; null when there is none. */
  get(identifier: string): HostAccount | null
  byIdentity(provider: 'github' | 'google', subject: string): HostAccount | null
}

export function createAccountsApi(ctx: AppContext): AccountsApi {
  const linked = new LinkedIdentities({ db: ctx.db, config: ctx.config, accounts: ctx.accounts, accountService: ctx.accountService, logger: ctx.logger })
  const view = (a: Account | null): HostAccount | null =>
    a && a.status !== 'deleted' ? { did: a.did, handle: a.handle, email: a.email, status: a.status, createdAt: a.createdAt } : null
  return {
    create: (account) =>
      withTypedErrors(async () => {
        if (!account || typeof account.handle !== 'string') throw invalidRequest('handle is required', 'InvalidHandle')
        return view(await ctx.accountService.create({ handle: account.handle, email: account.email, password: account.password }, { viaAdmin: true }))!
      }),
    link(did, identity) {
      if (!view(ctx.accounts.get(did))) throw new HearthError('not-found', 'AccountNotFound', `No account ${did}`)
      if (identity.provider !== 'github' && identity.provider !== 'google') throw invalidRequest('provider must be github or google')
      if (typeof identity.subject !== 'string' || !identity.subject) throw invalidRequest('subject must be the provider’s user id')
      try {
        linked.link(did, { provider: identity.provider, subject: identity.subject, username: identity.username, email: identity.email ?? null })
      } catch (err) {
        if (err instanceof IdentityTakenError) throw new HearthError('conflict', 'IdentityTaken', err.message)
        if (err instanceof ProviderAlreadyLinkedError) throw new HearthError('conflict', 'ProviderAlreadyLinked', err.message)
        throw err
      }
    },
    get: (identifier) => view(ctx.accounts.lookup(identifier)),
    byIdentity(provider, subject) {
      const did = linked.accountOf(provider, subject)
      return did ? view(ctx.accounts.get(did)) : null
    },
  }
}

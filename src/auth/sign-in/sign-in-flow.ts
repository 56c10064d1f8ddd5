/**
 * The GitHub/Google sign-in from start to finish, without HTTP:
 * `start` records the attempt and gives the URL to send the browser to;
 * `finish` spends the state the provider sent back, exchanges the code,
 * checks the identity, and returns the account to sign in to: the one the
 * identity already reaches, a new one on its first sign-in, or (when a
 * signed-in person is linking a provider) their own.
 *
 * @example
 * const url = flow.start('github', browserToken)
 * // …GET /auth/github/callback?state=…&code=…
 * const { did } = await flow.finish('github', query, browserToken, signedInDid)
 */
import crypto from 'node:crypto'
import { generateCodeVerifier } from 'arctic'
import type { AccountStore } from '../../account/account-store.js'
import { IdentityTakenError, ProviderAlreadyLinkedError, type LinkedIdentities } from '../../account/linked-identities.js'
import type { Logger } from '../../logger.js'
import type { OAuthStateStore } from './oauth-state-store.js'
import { SignInError } from './sign-in-error.js'
import type { ProviderId, ProviderIdentity, SignInProvider } from './sign-in-provider.js'

export interface CallbackQuery {
  state?: string
  code?: string
  error?: string
}

export interface SignInResult {
  did: string
  identity: ProviderIdentity
  /** A new account was made by this sign-in. */
  created: boolean
  /** The identity was linked to the signed-in account. */
  linked: boolean
}

export interface SignInFlowDeps {
  providers: Map<ProviderId, SignInProvider>
  states: OAuthStateStore
  linked: LinkedIdentities
  accounts: AccountStore
  logger: Logger
}

export class SignInFlow {
  constructor(private deps: SignInFlowDeps) {}

  /** The providers that are configured, in button order. */
  get providers(): SignInProvider[] {
    return [...this.deps.providers.values()]
  }

  /** Records an attempt bound to this browser and returns where to send it. */
  start(providerId: ProviderId, browserToken: string, linkDid?: string): URL {
    const provider = this.provider(providerId)
    const pkce = provider.usesPkce ? { codeVerifier: generateCodeVerifier(), nonce: crypto.randomBytes(16).toString('base64url') } : null
    const state = this.deps.states.create({
      provider: providerId,
      browserToken,
      codeVerifier: pkce?.codeVerifier,
      nonce: pkce?.nonce,
      linkDid,
    })
    return provider.authorizationUrl(state, pkce)
  }

  /** Completes an attempt from the provider's redirect; throws SignInError. */
  async finish(providerId: ProviderId, query: CallbackQuery, browserToken: string | undefined, signedInDid: string | null): Promise<SignInResult> {
    const provider = this.provider(providerId)
    if (query.error) {
      // Spend the state anyway: an attempt the person cancelled cannot be resumed.
      if (query.state) this.tryConsume(query.state, providerId, browserToken)
      if (query.error === 'access_denied') {
        throw new SignInError('cancelled', `You cancelled the sign-in at ${provider.label}. Nothing was changed.`)
      }
      throw new SignInError('provider-error', `${provider.label} stopped the sign-in (${query.error.slice(0, 100)}). Nothing was changed.`)
    }
    if (!query.state) throw new SignInError('unknown-state', `${provider.label} came back without the sign-in's state. Start the sign-in again.`)
    const pending = this.deps.states.consume(query.state, providerId, browserToken)
    if (!query.code) throw new SignInError('provider-error', `${provider.label} came back without a sign-in code. Start the sign-in again.`)
    const pkce = pending.codeVerifier && pending.nonce ? { codeVerifier: pending.codeVerifier, nonce: pending.nonce } : null
    const identity = await provider.identify(query.code, pkce)

    if (pending.linkDid) {
      if (signedInDid !== pending.linkDid) {
        throw new SignInError('other-browser', 'You were signed out while linking a sign-in. Sign in and try linking again.')
      }
      try {
        this.deps.linked.link(pending.linkDid, identity)
      } catch (err) {
        if (err instanceof IdentityTakenError) {
          throw new SignInError(
            'identity-taken',
            `This ${provider.label} account (${identity.username}) already signs in to another Hearth account, so it can’t be linked to this one. Nothing was changed.`,
            409,
          )
        }
        if (err instanceof ProviderAlreadyLinkedError) {
          throw new SignInError('already-linked', `This account already has a ${provider.label} sign-in. Nothing was changed.`, 409)
        }
        throw err
      }
      this.deps.logger.info({ did: pending.linkDid, provider: providerId }, 'sign-in linked')
      return { did: pending.linkDid, identity, created: false, linked: true }
    }

    const { did, created } = await this.deps.linked.signIn(identity)
    const account = this.deps.accounts.get(did)
    if (!account || account.status === 'takendown' || account.status === 'deleted') {
      throw new SignInError('account-unavailable', 'The account this sign-in belongs to is not available on this server.', 403)
    }
    return { did, identity, created, linked: false }
  }

  private provider(id: ProviderId): SignInProvider {
    const provider = this.deps.providers.get(id)
    if (!provider) throw new SignInError('not-configured', `Sign-in with ${id} is not set up on this server.`, 404)
    return provider
  }

  private tryConsume(state: string, providerId: ProviderId, browserToken: string | undefined): void {
    try {
      this.deps.states.consume(state, providerId, browserToken)
    } catch {
      // Unknown or foreign states change nothing; the person sees "cancelled" either way.
    }
  }
}

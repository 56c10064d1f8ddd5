/**
 * Sign-in with GitHub through arctic's `GitHub` class. GitHub issues no
 * id_token: who signed in comes from its API with the access token
 * (`/user` for the numeric id and login, `/user/emails` for the verified
 * primary address). GitHub has no PKCE; the single-use state carries the
 * whole CSRF protection.
 */
import { GitHub } from 'arctic'
import type { OAuthClientConfig } from '../../config.js'
import { SignInError } from './sign-in-error.js'
import { exchangeCode, providerApiGet, type ProviderIdentity, type SignInProvider } from './sign-in-provider.js'

const API = 'https://api.github.com'
const SCOPES = ['read:user', 'user:email']

interface GitHubEmail {
  email: string
  primary: boolean
  verified: boolean
}

export class GitHubSignIn implements SignInProvider {
  readonly id = 'github' as const
  readonly label = 'GitHub'
  readonly usesPkce = false
  private client: GitHub

  constructor(client: OAuthClientConfig, redirectUri: string) {
    this.client = new GitHub(client.clientId, client.clientSecret, redirectUri)
  }

  authorizationUrl(state: string): URL {
    return this.client.createAuthorizationURL(state, SCOPES)
  }

  async identify(code: string): Promise<ProviderIdentity> {
    const tokens = await exchangeCode(this.label, () => this.client.validateAuthorizationCode(code))
    const accessToken = tokens.accessToken()
    const user = (await providerApiGet(this.label, `${API}/user`, accessToken)) as { id?: unknown; login?: unknown }
    if (typeof user?.id !== 'number' || !Number.isSafeInteger(user.id) || typeof user.login !== 'string' || !user.login) {
      throw new SignInError('invalid-identity', 'GitHub did not say which user signed in. Try again.', 502)
    }
    let email: string | null = null
    try {
      const emails = await providerApiGet(this.label, `${API}/user/emails`, accessToken)
      const primary = Array.isArray(emails)
        ? (emails as GitHubEmail[]).find((e) => e?.primary === true && e.verified === true && typeof e.email === 'string')
        : undefined
      email = primary?.email ?? null
    } catch (err) {
      // Without the email scope the account still works; only a dead API stops the sign-in.
      if (!(err instanceof SignInError) || err.kind === 'provider-unreachable') throw err
    }
    return { provider: 'github', subject: String(user.id), username: user.login, email }
  }
}

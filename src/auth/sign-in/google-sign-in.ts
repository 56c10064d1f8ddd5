/**
 * Sign-in with Google through arctic's `Google` class (authorization code
 * with PKCE). Who signed in comes from the id_token, whose signature is
 * checked against Google's published keys (fetched once and cached by jose,
 * refetched when Google rotates them), with its issuer, audience (our client
 * id), expiry and the nonce we sent. arctic's `decodeIdToken` checks none of
 * these, so it is not used.
 */
import { Google } from 'arctic'
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose'
import type { OAuthClientConfig } from '../../config.js'
import { SignInError } from './sign-in-error.js'
import { exchangeCode, type PkceSecrets, type ProviderIdentity, type SignInProvider } from './sign-in-provider.js'

export const GOOGLE_JWKS_URL = 'https://www.googleapis.com/oauth2/v3/certs'
const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com']
const SCOPES = ['openid', 'email', 'profile']

export class GoogleSignIn implements SignInProvider {
  readonly id = 'google' as const
  readonly label = 'Google'
  readonly usesPkce = true
  private client: Google
  private keys = createRemoteJWKSet(new URL(GOOGLE_JWKS_URL))

  constructor(
    private clientConfig: OAuthClientConfig,
    redirectUri: string,
  ) {
    this.client = new Google(clientConfig.clientId, clientConfig.clientSecret, redirectUri)
  }

  authorizationUrl(state: string, pkce: PkceSecrets | null): URL {
    if (!pkce) throw new Error('Google sign-in needs PKCE secrets')
    const url = this.client.createAuthorizationURL(state, pkce.codeVerifier, SCOPES)
    url.searchParams.set('nonce', pkce.nonce)
    return url
  }

  async identify(code: string, pkce: PkceSecrets | null): Promise<ProviderIdentity> {
    if (!pkce) throw new SignInError('unknown-state', 'This sign-in attempt lost its PKCE verifier. Start it again.')
    const tokens = await exchangeCode(this.label, () => this.client.validateAuthorizationCode(code, pkce.codeVerifier))
    let idToken: string
    try {
      idToken = tokens.idToken()
    } catch {
      throw new SignInError('invalid-identity', 'Google did not send an ID token. Try again.', 502)
    }
    const claims = await this.verify(idToken)
    if (claims.nonce !== pkce.nonce) {
      throw new SignInError('invalid-identity', 'Google’s answer was meant for another sign-in attempt. Start again.')
    }
    if (typeof claims.sub !== 'string' || !claims.sub) {
      throw new SignInError('invalid-identity', 'Google did not say which account signed in. Try again.')
    }
    const email = claims.email_verified === true && typeof claims.email === 'string' ? claims.email : null
    const name = typeof claims.name === 'string' ? claims.name : ''
    return { provider: 'google', subject: claims.sub, username: email ?? (name || claims.sub), email }
  }

  private async verify(idToken: string): Promise<JWTPayload & { email?: unknown; email_verified?: unknown; name?: unknown }> {
    try {
      const { payload } = await jwtVerify(idToken, this.keys, {
        issuer: GOOGLE_ISSUERS,
        audience: this.clientConfig.clientId,
        algorithms: ['RS256'],
        requiredClaims: ['sub', 'exp', 'iat'],
      })
      return payload
    } catch (err) {
      if (err instanceof joseErrors.JWKSTimeout || !(err instanceof joseErrors.JOSEError)) {
        throw new SignInError('provider-unreachable', 'Google’s signing keys could not be fetched. Try again in a moment.', 502)
      }
      throw new SignInError('invalid-identity', `Google’s ID token did not check out (${err.code}). Try again.`)
    }
  }
}

/**
 * Why a GitHub/Google sign-in did not finish, in words for the person who
 * tried. The web pages show `message` on the error page; `kind` is stable
 * for tests and logs.
 */
export type SignInFailure =
  | 'cancelled' // the person said no at the provider
  | 'provider-error' // the provider answered with an error or refused the code
  | 'provider-unreachable' // the provider could not be reached
  | 'invalid-identity' // the provider's answer did not check out (signature, audience, expiry…)
  | 'unknown-state' // the state is not one we issued, or it was already used
  | 'expired' // the state was ours but too old
  | 'other-browser' // the state was issued to another browser (or the cookie is gone)
  | 'identity-taken' // linking an identity that already reaches another account
  | 'already-linked' // the account already has a sign-in with this provider
  | 'account-unavailable' // the account is taken down or deleted
  | 'not-configured' // the provider is not set up on this server

export class SignInError extends Error {
  constructor(
    readonly kind: SignInFailure,
    message: string,
    readonly status = 400,
  ) {
    super(message)
    this.name = 'SignInError'
  }
}

/**
 * Errors of the OAuth endpoints, in the shape RFC 6749 gives them:
 * `{ error, error_description }` with the status the spec names. DPoP
 * errors also carry `WWW-Authenticate` and, for `use_dpop_nonce`, the
 * nonce to retry with.
 */
export class OAuthError extends Error {
  constructor(
    readonly status: 400 | 401 | 403,
    readonly error: string,
    readonly description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description)
  }

  toJSON() {
    return { error: this.error, error_description: this.description }
  }
}

export const invalidRequest = (d: string) => new OAuthError(400, 'invalid_request', d)
export const invalidClient = (d: string) => new OAuthError(401, 'invalid_client', d)
export const invalidGrant = (d: string) => new OAuthError(400, 'invalid_grant', d)
export const invalidScope = (d: string) => new OAuthError(400, 'invalid_scope', d)
export const invalidDpopProof = (d: string) => new OAuthError(400, 'invalid_dpop_proof', d)

/**
 * The one reader of the Authorization header. Hearth takes two schemes:
 * `Bearer <token>` (session tokens, refresh tokens, inter-service JWTs) and
 * `DPoP <token>` (OAuth access tokens, bound to a key the client proves it
 * holds in a `DPoP` header). Every place that needs the caller goes through
 * this reader, so a malformed header is refused the same way everywhere.
 *
 * @example
 * const presented = readAuthorization(c.req.header('authorization'))
 * if (presented?.scheme === 'DPoP') …
 */
import { HearthError } from '../errors/hearth-error.js'

export interface PresentedToken {
  scheme: 'Bearer' | 'DPoP'
  token: string
}

const HEADER = /^(Bearer|DPoP)\s+([A-Za-z0-9._~+/=-]+)$/i

/** The token in `header`; null when there is none; a 401 when the header is there but is not one of the two schemes. */
export function readAuthorization(header: string | null | undefined): PresentedToken | null {
  if (header === undefined || header === null || header.trim() === '') return null
  const m = HEADER.exec(header.trim())
  if (!m) throw new HearthError('unauthenticated', 'InvalidToken', 'Authorization must be "Bearer <token>" or "DPoP <token>"')
  return { scheme: m[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: m[2] }
}

/** The bearer token of a header, or null (also for a DPoP-scheme header): for callers that only take bearer tokens. */
export function bearerToken(header: string | null | undefined): string | null {
  try {
    const presented = readAuthorization(header)
    return presented?.scheme === 'Bearer' ? presented.token : null
  } catch {
    return null
  }
}

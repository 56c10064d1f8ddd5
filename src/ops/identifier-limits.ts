/**
 * Length caps on identifiers a caller chooses, checked at the edge before
 * they key anything kept in memory (rate-limit windows) or reach a lookup:
 * a handle is at most 253 characters, an email address 320, a DID 2048
 * (the AT Protocol's limits).
 *
 * @example
 * checkSignInIdentifier(body.identifier)   // throws 400 InvalidRequest when too long
 */
import { HearthError } from '../errors/hearth-error.js'

export const MAX_HANDLE_LENGTH = 253
export const MAX_EMAIL_LENGTH = 320
export const MAX_DID_LENGTH = 2048

export function checkSignInIdentifier(identifier: string): void {
  const max = identifier.startsWith('did:') ? MAX_DID_LENGTH : identifier.includes('@') ? MAX_EMAIL_LENGTH : MAX_HANDLE_LENGTH
  if (identifier.length > max) {
    throw new HearthError('invalid', 'InvalidRequest', `identifier is longer than ${max} characters: use a handle, an email address or a DID`)
  }
}

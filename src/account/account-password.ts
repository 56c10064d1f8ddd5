/**
 * The account's own password (for clients that sign in with one, and for
 * the password form of the pages): set it when there is none, change it
 * with the current one. App passwords are separate and stay as they are.
 *
 * @example
 * await setAccountPassword(accounts, did, { current: 'old…', next: 'new…' })
 */
import type { AccountStore } from './account-store.js'
import { hashPassword, verifyPassword } from './password-hash.js'

export const MIN_PASSWORD_LENGTH = 8
export const MAX_PASSWORD_LENGTH = 256

export class PasswordChangeError extends Error {
  constructor(readonly reason: 'too-short' | 'too-long' | 'wrong-current' | 'no-account', message: string) {
    super(message)
  }
}

export async function setAccountPassword(accounts: AccountStore, did: string, input: { current?: string; next: string }): Promise<void> {
  const account = accounts.get(did)
  if (!account) throw new PasswordChangeError('no-account', 'This account no longer exists.')
  if (input.next.length < MIN_PASSWORD_LENGTH) {
    throw new PasswordChangeError('too-short', `Choose a password of at least ${MIN_PASSWORD_LENGTH} characters.`)
  }
  if (input.next.length > MAX_PASSWORD_LENGTH) {
    throw new PasswordChangeError('too-long', `A password may have at most ${MAX_PASSWORD_LENGTH} characters.`)
  }
  if (account.passwordHash && !(await verifyPassword((input.current ?? '').slice(0, MAX_PASSWORD_LENGTH), account.passwordHash))) {
    throw new PasswordChangeError('wrong-current', 'The current password is not right, so nothing was changed.')
  }
  accounts.setPasswordHash(did, await hashPassword(input.next))
}

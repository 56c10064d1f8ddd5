import type { Account } from '../../../../account/account-store.js'

/** `active` and `status` as session responses report them. */
export function sessionStatus(account: Account): { active: boolean; status?: string } {
  return account.status === 'active' ? { active: true } : { active: false, status: account.status }
}

/**
 * Who is calling: reads the Authorization header of an XRPC request and
 * checks it for the kind of caller a method accepts.
 *
 * - `access`: a session access token (password or app password);
 * - `accessFull`: a session made with the account password or a privileged
 *   app password (creating app passwords needs this);
 * - `refresh`: a refresh token (refreshSession, deleteSession);
 * - `optional`: access if a token is present, anonymous otherwise.
 */
import type { AccountStore, Account } from '../account/account-store.js'
import type { AppPasswords } from '../account/app-passwords.js'
import { HearthError, authRequired } from '../errors/hearth-error.js'
import type { AccessClaims, RefreshClaims, SessionTokens } from './session-tokens.js'

export type AuthMode = 'none' | 'optional' | 'access' | 'accessFull' | 'refresh'

export type Credentials =
  | { kind: 'access'; did: string; claims: AccessClaims; account: Account }
  | { kind: 'refresh'; did: string; claims: RefreshClaims; account: Account }

export class RequestAuth {
  constructor(
    private tokens: SessionTokens,
    private accounts: AccountStore,
    private appPasswords: AppPasswords,
  ) {}

  async verify(mode: AuthMode, authorization: string | undefined): Promise<Credentials | null> {
    if (mode === 'none') return null
    const token = bearer(authorization)
    if (!token) {
      if (mode === 'optional') return null
      throw authRequired()
    }
    if (mode === 'refresh') {
      const claims = await this.tokens.verifyRefresh(token)
      return { kind: 'refresh', did: claims.did, claims, account: this.liveAccount(claims.did) }
    }
    const claims = await this.tokens.verifyAccess(token)
    const account = this.liveAccount(claims.did)
    // Revoking an app password ends its sessions at once, not when their access tokens expire.
    if (claims.appPassword !== null) {
      // Issued before app passwords had ids: the client refreshes (ExpiredToken) and gets a token bound to one.
      if (claims.appPasswordId === null) throw new HearthError('invalid', 'ExpiredToken', 'Token has expired')
      if (!this.appPasswords.validFor(claims.did, claims.appPasswordId)) {
        throw new HearthError('unauthenticated', 'InvalidToken', 'The app password of this session was revoked')
      }
    }
    if (mode === 'accessFull' && claims.scope === 'com.atproto.appPass') {
      throw new HearthError('forbidden', 'InvalidToken', 'This method needs the account password or a privileged app password')
    }
    return { kind: 'access', did: claims.did, claims, account }
  }

  private liveAccount(did: string): Account {
    const account = this.accounts.get(did)
    if (!account || account.status === 'deleted') throw new HearthError('unauthenticated', 'InvalidToken', 'Account not found')
    if (account.status === 'takendown') throw new HearthError('unauthenticated', 'AccountTakedown', 'Account has been taken down')
    return account
  }
}

function bearer(header: string | undefined): string | null {
  if (!header) return null
  const m = /^Bearer\s+(\S+)$/i.exec(header.trim())
  if (!m) throw new HearthError('unauthenticated', 'InvalidToken', 'Authorization must be "Bearer <token>"')
  return m[1]
}

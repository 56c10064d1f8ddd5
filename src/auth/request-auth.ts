/**
 * Who is calling: the one request-auth path of the XRPC edge. A method
 * declares the credentials it takes with its `auth` mode; this reads the
 * Authorization (and DPoP) header once and checks what was presented:
 *
 * | mode             | takes                                                              |
 * |------------------|--------------------------------------------------------------------|
 * | `none`           | nothing (the header is not read)                                   |
 * | `optional`       | a session or OAuth access token if one is sent; anonymous otherwise |
 * | `access`         | a session access token (password or app password) or an OAuth token |
 * | `accessFull`     | as `access`, but not an ordinary app password                       |
 * | `refresh`        | a session refresh token (refreshSession, deleteSession)             |
 * | `service`        | an inter-service JWT for this very method (`lxm`)                   |
 * | `serviceOrOwner` | an inter-service JWT, or the account's own session / OAuth token     |
 *
 * What an OAuth token may do is checked after this, against the method's
 * permission declaration (src/auth/method-permissions.ts), once the input
 * is known.
 *
 * @example
 * const auth = await requestAuth.verify('access', { method: 'POST', url, authorization, dpop }, nsid)
 */
import type { ScopePermissionsTransition } from '@atproto/oauth-scopes'
import type { AccountStore, Account } from '../account/account-store.js'
import type { AppPasswords } from '../account/app-passwords.js'
import { XrpcError, authRequired } from '../xrpc/xrpc-error.js'
import type { AccessClaims, RefreshClaims, SessionTokens } from './session-tokens.js'
import { readAuthorization } from './authorization-header.js'
import { isServiceJwt, type ServiceJwtClaims, type ServiceJwtVerifier } from './service-jwt.js'

export type AuthMode = 'none' | 'optional' | 'access' | 'accessFull' | 'refresh' | 'service' | 'serviceOrOwner'

/** What the auth path needs of a request: its verb, the URL the client called (for DPoP's `htu`), and two headers. */
export interface RequestFacts {
  method: string
  url: string
  authorization?: string | null
  dpop?: string | null
}

export type Credentials =
  | { kind: 'access'; did: string; claims: AccessClaims; account: Account }
  | { kind: 'refresh'; did: string; claims: RefreshClaims; account: Account }
  | { kind: 'oauth'; did: string; account: Account; permissions: ScopePermissionsTransition; clientId: string; sessionId: string }
  /**
   * An app calling with an inter-service JWT: `did` is the app's DID (the token's `iss`). It
   * has no account here; `account: never` keeps `auth.account` typed for the account methods,
   * which never take this kind.
   */
  | { kind: 'service'; did: string; claims: ServiceJwtClaims; account: never }

/** What RequestAuth needs of the OAuth server: checking a DPoP-bound access token on a request. */
export interface OAuthAccessVerifier {
  verifyAccess(token: string, req: RequestFacts): Promise<{ did: string; scope: string; clientId: string; sessionId: string; permissions: ScopePermissionsTransition }>
  /** The account a token names, checking only its signature (rate limits, before the full check). */
  peekDid(token: string): Promise<string | null>
}

const TAKES_OAUTH = new Set<AuthMode>(['optional', 'access', 'accessFull', 'serviceOrOwner'])

export class RequestAuth {
  private oauth: OAuthAccessVerifier | null = null

  constructor(
    private tokens: SessionTokens,
    private accounts: AccountStore,
    private appPasswords: AppPasswords,
    private serviceJwt: ServiceJwtVerifier,
  ) {}

  /** The OAuth server is built after this (it needs the accounts and sessions): it plugs itself in. */
  useOAuth(verifier: OAuthAccessVerifier): void {
    this.oauth = verifier
  }

  async verify(mode: AuthMode, req: RequestFacts, lxm: string): Promise<Credentials | null> {
    if (mode === 'none') return null
    const presented = readAuthorization(req.authorization)
    if (!presented) {
      if (mode === 'optional') return null
      if (mode === 'service' || mode === 'serviceOrOwner') return this.service(null, lxm)
      throw authRequired()
    }
    if (presented.scheme === 'DPoP') {
      if (!TAKES_OAUTH.has(mode) || !this.oauth) throw new XrpcError(401, 'InvalidToken', `${lxm} does not take OAuth access tokens`)
      const verified = await this.oauth.verifyAccess(presented.token, req)
      return { kind: 'oauth', did: verified.did, account: this.liveAccount(verified.did), permissions: verified.permissions, clientId: verified.clientId, sessionId: verified.sessionId }
    }
    const token = presented.token
    if (mode === 'service' || (mode === 'serviceOrOwner' && isServiceJwt(token))) return this.service(token, lxm)
    if (mode === 'refresh') {
      const claims = await this.tokens.verifyRefresh(token)
      return { kind: 'refresh', did: claims.did, claims, account: this.liveAccount(claims.did) }
    }
    const claims = await this.tokens.verifyAccess(token)
    const account = this.liveAccount(claims.did)
    // Revoking an app password ends its sessions at once, not when their access tokens expire.
    if (claims.appPassword !== null) {
      // Issued before app passwords had ids: the client refreshes (ExpiredToken) and gets a token bound to one.
      if (claims.appPasswordId === null) throw new XrpcError(400, 'ExpiredToken', 'Token has expired')
      if (!this.appPasswords.validFor(claims.did, claims.appPasswordId)) {
        throw new XrpcError(401, 'InvalidToken', 'The app password of this session was revoked')
      }
    }
    if (mode === 'accessFull' && claims.scope === 'com.atproto.appPass') {
      throw new XrpcError(403, 'InvalidToken', 'This method needs the account password or a privileged app password')
    }
    return { kind: 'access', did: claims.did, claims, account }
  }

  /** The account an access token (session or OAuth) names, or null; no revocation or DPoP checks (the rate limiter's early look). */
  async peekAccessDid(authorization: string | undefined): Promise<string | null> {
    try {
      const presented = readAuthorization(authorization)
      if (!presented) return null
      if (presented.scheme === 'DPoP') return (await this.oauth?.peekDid(presented.token)) ?? null
      return (await this.tokens.verifyAccess(presented.token)).did
    } catch {
      return null
    }
  }

  /** The account a refresh token names, or null (the rate limiter's early look). */
  async peekRefreshDid(authorization: string | undefined): Promise<string | null> {
    try {
      const presented = readAuthorization(authorization)
      if (presented?.scheme !== 'Bearer') return null
      return (await this.tokens.verifyRefresh(presented.token)).did
    } catch {
      return null
    }
  }

  private async service(token: string | null, lxm: string): Promise<Credentials> {
    const claims = await this.serviceJwt.verify(token, lxm)
    return { kind: 'service', did: claims.iss, claims, account: undefined as never }
  }

  private liveAccount(did: string): Account {
    const account = this.accounts.get(did)
    if (!account || account.status === 'deleted') throw new XrpcError(401, 'InvalidToken', 'Account not found')
    if (account.status === 'takendown') throw new XrpcError(401, 'AccountTakedown', 'Account has been taken down')
    return account
  }
}

/**
 * Hearth's AT Protocol OAuth authorization server, without HTTP: PAR,
 * approval, the token endpoint (authorization code with PKCE S256, rotating
 * refresh tokens), revocation, and the resource-side check of DPoP-bound
 * access tokens that RequestAuth calls. The routes (src/oauth/oauth-routes.ts)
 * and the authorization page (web/oauth-routes.tsx) are thin shells on it.
 *
 * Built on jose (JWTs, JWKs), @atproto/oauth-types (client metadata, request
 * parameters) and @atproto/oauth-scopes (permissions). @atproto/oauth-provider
 * would bring its own UI and express-style handlers; Hearth keeps its own
 * pages, its own sign-in, and Hono.
 *
 * Tokens: access tokens are short JWTs (HS256 under a key derived from the
 * server secret: only this server reads them) naming the session, the scope
 * and the DPoP key's thumbprint (`cnf.jkt`); each use checks that the
 * session still exists, so revoking ends access at once. Refresh tokens are
 * random, kept hashed, rotated on each use; a spent one coming back ends
 * the session.
 */
import crypto from 'node:crypto'
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose'
import { ScopePermissionsTransition } from '@atproto/oauth-scopes'
import { oauthAuthorizationRequestParametersSchema } from '@atproto/oauth-types'
import type { Lexicons } from '@atproto/lexicon'
import type { Config } from '../config.js'
import type { Db } from '../db/open-database.js'
import type { AccountStore } from '../account/account-store.js'
import type { Logger } from '../logger.js'
import type { OAuthAccessVerifier, RequestFacts } from '../auth/request-auth.js'
import { HearthError } from '../errors/hearth-error.js'
import { ClientResolver, fetchAnyHost, type OAuthClient } from './client-metadata.js'
import { fetchPublic } from '../net/public-fetch.js'
import { DpopVerifier, DPOP_MAX_AGE_SEC } from './dpop.js'
import { DpopJtiStore } from './dpop-jti-store.js'
import { OAuthError, invalidClient, invalidGrant, invalidRequest, invalidScope } from './oauth-error.js'
import { OAuthStore, randomToken, sha256, type StoredRequest, type StoredSession } from './oauth-store.js'
import { PermissionSets, expandWith, type ResolvedSets } from './permission-sets.js'
import { RemotePermissionSets } from './remote-permission-sets.js'

export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:'
const PAR_TTL_SEC = 300
const CODE_TTL_MS = 60_000
export const ACCESS_TTL_SEC = 900
const REFRESH_TTL_MS = 90 * 24 * 3600_000
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
const TOUCH_EVERY_MS = 60_000
const VERIFIED_CACHE_SIZE = 10_000

export interface OAuthServerDeps {
  config: Config
  db: Db
  secret: Uint8Array
  accounts: AccountStore
  lexicons: Lexicons
  logger: Logger
  /** The PLC directory in use (configured, or the embedded one): remote permission sets' DIDs resolve there only. */
  plcUrl: string
}

/** What the authorization page shows and acts on. */
export interface PendingAuthorization {
  request: StoredRequest
  client: OAuthClient
  /** The scope the app asks for, include: sets expanded: what approving grants. */
  scope: string
  /** The permission sets it includes (their titles and details are shown). */
  sets: ResolvedSets
}

interface AccessClaims {
  did: string
  scope: string
  clientId: string
  sessionId: string
  jkt: string
  exp: number
}

export class OAuthServer implements OAuthAccessVerifier {
  readonly store: OAuthStore
  readonly dpop: DpopVerifier
  readonly clients: ClientResolver
  readonly sets: PermissionSets
  readonly issuer: string
  private key: Uint8Array
  /** Single-use proofs and client assertions, remembered across restarts. */
  private taken: DpopJtiStore
  private verified = new Map<string, AccessClaims>()
  private permissions = new Map<string, ScopePermissionsTransition>()
  private touched = new Map<string, number>()

  constructor(private deps: OAuthServerDeps) {
    this.store = new OAuthStore(deps.db)
    this.taken = new DpopJtiStore(deps.db)
    this.dpop = new DpopVerifier(deps.secret, this.taken)
    this.clients = new ClientResolver(new Set(deps.config.oauthTrustedClients), deps.config.oauthFetchPrivateHosts ? fetchAnyHost : fetchPublic)
    this.issuer = deps.config.publicUrl
    this.sets = new PermissionSets(deps.lexicons, new RemotePermissionSets({ plcUrl: deps.plcUrl, fetchPrivateHosts: deps.config.oauthFetchPrivateHosts }))
    this.key = new Uint8Array(crypto.hkdfSync('sha256', deps.secret, Buffer.alloc(0), 'hearth oauth access token v1', 32))
  }

  /** RFC 8414 metadata, with what the AT Protocol profile requires. */
  serverMetadata() {
    const i = this.issuer
    return {
      issuer: i,
      authorization_endpoint: `${i}/oauth/authorize`,
      token_endpoint: `${i}/oauth/token`,
      pushed_authorization_request_endpoint: `${i}/oauth/par`,
      revocation_endpoint: `${i}/oauth/revoke`,
      require_pushed_authorization_requests: true,
      response_types_supported: ['code'],
      response_modes_supported: ['query', 'fragment'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['ES256'],
      dpop_signing_alg_values_supported: ['ES256'],
      scopes_supported: ['atproto', 'transition:generic', 'transition:chat.bsky', 'transition:email'],
      subject_types_supported: ['public'],
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: true,
      request_parameter_supported: false,
      request_uri_parameter_supported: true,
      require_request_uri_registration: true,
      protected_resources: [i],
    }
  }

  /** RFC 9728 metadata of the PDS as a resource: its authorization server is Hearth itself. */
  resourceMetadata() {
    return {
      resource: this.issuer,
      authorization_servers: [this.issuer],
      scopes_supported: [],
      bearer_methods_supported: ['header'],
      resource_documentation: 'https://atproto.com',
    }
  }

  // ---- PAR ----------------------------------------------------------------

  async par(form: Record<string, string>, dpopProof: string | null): Promise<{ request_uri: string; expires_in: number }> {
    const client = await this.clients.resolve(form.client_id)
    // The proof first: a client retrying after use_dpop_nonce sends the same client assertion again.
    const proof = dpopProof ? await this.dpop.verify(dpopProof, 'POST', `${this.issuer}/oauth/par`) : null
    const clientAuth = await this.authenticateClient(client, form, '/oauth/par')
    const { client_assertion: _a, client_assertion_type: _t, ...rest } = form
    const parsed = oauthAuthorizationRequestParametersSchema.safeParse(rest)
    if (!parsed.success) throw invalidRequest(`Bad authorization request: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 300)}`)
    const p = parsed.data
    if (p.response_type !== 'code') throw new OAuthError(400, 'unsupported_response_type', 'response_type must be "code"')
    if (!p.code_challenge) throw invalidRequest('PKCE is required: send code_challenge with code_challenge_method S256')
    if (p.code_challenge_method !== 'S256') throw invalidRequest('code_challenge_method must be S256')
    if (p.dpop_jkt && proof && p.dpop_jkt !== proof.jkt) throw invalidRequest('dpop_jkt does not match the DPoP proof')
    const dpopJkt = proof?.jkt ?? p.dpop_jkt ?? null
    const redirectUri = p.redirect_uri ?? (client.metadata.redirect_uris.length === 1 ? client.metadata.redirect_uris[0] : undefined)
    if (!redirectUri) throw invalidRequest('redirect_uri is required: the client has more than one')
    if (!client.metadata.redirect_uris.includes(redirectUri as never)) throw invalidRequest('redirect_uri is not one of the client metadata redirect_uris')
    const scope = p.scope ?? client.metadata.scope ?? 'atproto'
    const values = scope.split(' ').filter(Boolean)
    if (!values.includes('atproto')) throw invalidScope('The scope must include "atproto"')
    for (const v of values) if (!client.scopes.has(v)) throw invalidScope(`The client metadata does not declare the scope ${v.slice(0, 100)}`)
    await this.sets.expand(scope) // refuses include: sets Hearth cannot resolve, now rather than on the page
    const responseMode = p.response_mode ?? 'query'
    if (responseMode !== 'query' && responseMode !== 'fragment') throw invalidRequest('response_mode must be query or fragment')
    const id = `req-${randomToken(24)}`
    const params: Record<string, string> = { redirect_uri: redirectUri, scope, code_challenge: p.code_challenge, response_mode: responseMode }
    if (p.state !== undefined) params.state = p.state
    if (p.login_hint !== undefined) params.login_hint = p.login_hint
    if (p.prompt !== undefined) params.prompt = p.prompt
    this.store.addRequest({ id, clientId: client.id, params, dpopJkt, clientAuth, expiresAt: Date.now() + PAR_TTL_SEC * 1000 })
    return { request_uri: `${REQUEST_URI_PREFIX}${id}`, expires_in: PAR_TTL_SEC }
  }

  // ---- the authorization page ---------------------------------------------

  /** The pending request behind `request_uri`, or an OAuthError naming why not. */
  async pending(clientId: string | undefined, requestUri: string | undefined): Promise<PendingAuthorization> {
    if (!requestUri?.startsWith(REQUEST_URI_PREFIX)) throw invalidRequest('request_uri is required (push the request to /oauth/par first)')
    const request = this.store.request(requestUri.slice(REQUEST_URI_PREFIX.length))
    if (!request || request.clientId !== clientId) throw invalidRequest('Unknown request_uri for this client')
    if (request.expiresAt < Date.now()) throw invalidRequest('This authorization request has expired: start again from the app')
    if (request.did !== null) throw invalidRequest('This authorization request was already answered')
    const client = await this.clients.resolve(clientId)
    const sets = await this.sets.resolveAll(request.params.scope)
    return { request, client, sets, scope: expandWith(request.params.scope, sets) }
  }

  /** True when `did` approved this client for at least these permissions before (and has not revoked). */
  alreadyApproved(did: string, pending: PendingAuthorization): boolean {
    const before = this.store.consent(did, pending.client.id)
    if (before === null) return false
    const had = new Set(before.split(' '))
    return pending.scope.split(' ').every((s) => had.has(s))
  }

  /** The person said yes: returns the URL to send the browser back to the app with its code. */
  approve(pending: PendingAuthorization, did: string): string {
    const code = `cod-${randomToken(32)}`
    if (!this.store.approve(pending.request.id, did, pending.scope, sha256(code), Date.now() + CODE_TTL_MS)) {
      throw invalidRequest('This authorization request was already answered or has expired')
    }
    this.store.saveConsent(did, pending.client.id, pending.scope)
    return this.redirectBack(pending.request, { code })
  }

  /** The person said no. */
  deny(pending: PendingAuthorization): string {
    return this.refuse(pending, 'access_denied', 'The person refused the request')
  }

  /** Ends the request and sends the browser back with an error (`login_required` and `consent_required` for prompt=none). */
  refuse(pending: PendingAuthorization, error: string, description: string): string {
    this.store.deleteRequest(pending.request.id)
    return this.redirectBack(pending.request, { error, error_description: description })
  }

  /** When the app pushed this request (ms): a prompt=login sign-in must be newer. */
  requestedAt(pending: PendingAuthorization): number {
    return pending.request.expiresAt - PAR_TTL_SEC * 1000
  }

  private redirectBack(request: StoredRequest, answer: Record<string, string>): string {
    const values = new URLSearchParams({ ...answer, ...(request.params.state !== undefined ? { state: request.params.state } : {}), iss: this.issuer })
    const url = new URL(request.params.redirect_uri)
    if (request.params.response_mode === 'fragment') url.hash = values.toString()
    else for (const [k, v] of values) url.searchParams.set(k, v)
    return url.toString()
  }

  // ---- the token endpoint -------------------------------------------------

  async token(form: Record<string, string>, dpopProof: string | null) {
    const client = await this.clients.resolve(form.client_id)
    const proof = await this.dpop.verify(dpopProof, 'POST', `${this.issuer}/oauth/token`)
    const clientAuth = await this.authenticateClient(client, form, '/oauth/token')
    if (form.grant_type === 'authorization_code') return this.exchangeCode(client, clientAuth, proof.jkt, form)
    if (form.grant_type === 'refresh_token') return this.refresh(client, clientAuth, proof.jkt, form)
    throw new OAuthError(400, 'unsupported_grant_type', 'grant_type must be authorization_code or refresh_token')
  }

  private async exchangeCode(client: OAuthClient, clientAuth: string, jkt: string, form: Record<string, string>) {
    if (!form.code) throw invalidRequest('code is required')
    const request = this.store.requestByCode(sha256(form.code))
    if (!request || request.clientId !== client.id) throw invalidGrant('Unknown authorization code')
    if (!this.store.spendCode(request.id)) {
      // A code used twice was copied: whatever the first use made is ended too (RFC 6749 §4.1.2).
      if (request.sessionId) this.endSession(request.sessionId)
      throw invalidGrant('This authorization code was already used')
    }
    if ((request.codeExpiresAt ?? 0) < Date.now()) throw invalidGrant('The authorization code has expired')
    if (form.redirect_uri !== request.params.redirect_uri) throw invalidGrant('redirect_uri does not match the authorization request')
    if (!form.code_verifier || !/^[A-Za-z0-9._~-]{43,128}$/.test(form.code_verifier)) throw invalidGrant('code_verifier is required (43–128 characters)')
    const challenge = crypto.createHash('sha256').update(form.code_verifier).digest('base64url')
    if (challenge !== request.params.code_challenge) throw invalidGrant('PKCE check failed: code_verifier does not match code_challenge')
    if (request.dpopJkt && request.dpopJkt !== jkt) throw invalidGrant('The DPoP key is not the one the request was made with')
    if (request.clientAuth !== clientAuth) throw invalidGrant('The client authenticated differently than when it made the request')
    const account = this.deps.accounts.get(request.did!)
    if (!account || account.status !== 'active') throw invalidGrant('The account is not available')
    const sessionId = `ses-${randomToken(16)}`
    const refreshToken = `ref-${randomToken(32)}`
    const now = Date.now()
    this.store.createSession({
      id: sessionId,
      did: account.did,
      clientId: client.id,
      clientName: client.metadata.client_name ?? null,
      clientAuth,
      scope: request.scope!,
      dpopJkt: jkt,
      refreshHash: sha256(refreshToken),
      refreshExpiresAt: now + REFRESH_TTL_MS,
      createdAt: now,
    })
    this.store.linkSession(request.id, sessionId)
    return this.tokenResponse(account.did, request.scope!, client.id, sessionId, jkt, refreshToken)
  }

  private async refresh(client: OAuthClient, clientAuth: string, jkt: string, form: Record<string, string>) {
    if (!client.metadata.grant_types.includes('refresh_token')) throw new OAuthError(400, 'unauthorized_client', 'The client metadata does not declare the refresh_token grant')
    if (!form.refresh_token) throw invalidRequest('refresh_token is required')
    const hash = sha256(form.refresh_token)
    const session = this.store.sessionByRefresh(hash)
    if (!session) {
      const reusedFrom = this.store.spentRefreshSession(hash)
      if (reusedFrom) {
        // A rotated-away token coming back means someone holds a copy: end the whole session.
        this.endSession(reusedFrom)
        throw invalidGrant('This refresh token was already used; the session has been ended')
      }
      throw invalidGrant('Unknown or revoked refresh token')
    }
    if (session.clientId !== client.id) throw invalidGrant('This refresh token belongs to another client')
    if (session.dpopJkt !== jkt) throw invalidGrant('The DPoP key is not the one this session is bound to')
    if (session.clientAuth !== clientAuth) throw invalidGrant('The client authenticated differently than when the session began')
    if (session.refreshExpiresAt < Date.now()) {
      this.endSession(session.id)
      throw invalidGrant('The refresh token has expired')
    }
    const account = this.deps.accounts.get(session.did)
    if (!account || account.status !== 'active') throw invalidGrant('The account is not available')
    const next = `ref-${randomToken(32)}`
    if (!this.store.rotateRefresh(session.id, hash, sha256(next), Date.now() + REFRESH_TTL_MS)) throw invalidGrant('This refresh token was already used')
    return this.tokenResponse(session.did, session.scope, client.id, session.id, jkt, next)
  }

  private async tokenResponse(did: string, scope: string, clientId: string, sessionId: string, jkt: string, refreshToken: string) {
    const now = Math.floor(Date.now() / 1000)
    const accessToken = await new SignJWT({ scope, client_id: clientId, sid: sessionId, cnf: { jkt } })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setIssuer(this.issuer)
      .setAudience(this.deps.config.serviceDid)
      .setSubject(did)
      .setJti(randomToken(12))
      .setIssuedAt(now)
      .setExpirationTime(now + ACCESS_TTL_SEC)
      .sign(this.key)
    return { access_token: accessToken, token_type: 'DPoP', expires_in: ACCESS_TTL_SEC, refresh_token: refreshToken, scope, sub: did }
  }

  /** RFC 7009: ends the session a refresh or access token belongs to. Unknown tokens are not an error. */
  async revoke(form: Record<string, string>): Promise<void> {
    const token = form.token
    if (!token) throw invalidRequest('token is required')
    const byRefresh = this.store.sessionByRefresh(sha256(token)) ?? null
    if (byRefresh) return void this.endSession(byRefresh.id)
    const spent = this.store.spentRefreshSession(sha256(token))
    if (spent) return void this.endSession(spent)
    const claims = await this.readAccessToken(token).catch(() => null)
    if (claims) this.endSession(claims.sessionId)
  }

  // ---- sessions, for the person's pages and account removal ---------------

  sessionsOf(did: string): StoredSession[] {
    return this.store.sessionsOf(did)
  }

  /** The person revokes one app session from their page. */
  revokeSessionOf(did: string, sessionId: string): boolean {
    const s = this.store.revokeSession(sessionId, did)
    if (s) this.forget(sessionId)
    return s !== null
  }

  /** Deactivation, takedown, deletion: every app of the account loses access. */
  endAllSessionsOf(did: string): void {
    for (const id of this.store.revokeAllOf(did)) this.forget(id)
  }

  private endSession(id: string): void {
    this.store.revokeSession(id)
    this.forget(id)
  }

  private forget(sessionId: string): void {
    this.permissions.delete(sessionId)
    for (const [token, c] of this.verified) if (c.sessionId === sessionId) this.verified.delete(token)
  }

  // ---- the resource side: an XRPC call with `Authorization: DPoP <token>` --

  async verifyAccess(token: string, req: RequestFacts) {
    const claims = await this.readAccessToken(token).catch((err) => {
      throw err instanceof HearthError ? err : resourceError(new OAuthError(401, 'invalid_token', 'The access token could not be verified'))
    })
    let proof
    try {
      proof = await this.dpop.verify(req.dpop, req.method === 'HEAD' ? 'GET' : req.method, req.url, token)
    } catch (err) {
      if (err instanceof OAuthError) throw resourceError(err)
      throw err
    }
    if (proof.jkt !== claims.jkt) throw resourceError(new OAuthError(401, 'invalid_token', 'The DPoP proof is signed with another key than the one this token is bound to'))
    const session = this.store.session(claims.sessionId)
    if (!session || session.did !== claims.did) throw resourceError(new OAuthError(401, 'invalid_token', 'This OAuth session has been revoked'))
    const now = Date.now()
    if ((this.touched.get(session.id) ?? 0) + TOUCH_EVERY_MS < now) {
      if (this.touched.size > VERIFIED_CACHE_SIZE) this.touched.clear()
      this.touched.set(session.id, now)
      this.store.touchSession(session.id, now)
    }
    let permissions = this.permissions.get(session.id)
    if (!permissions) {
      permissions = new ScopePermissionsTransition(claims.scope.split(' '))
      if (this.permissions.size > VERIFIED_CACHE_SIZE) this.permissions.clear()
      this.permissions.set(session.id, permissions)
    }
    return { did: claims.did, scope: claims.scope, clientId: claims.clientId, sessionId: claims.sessionId, permissions }
  }

  async peekDid(token: string): Promise<string | null> {
    return (await this.readAccessToken(token).catch(() => null))?.did ?? null
  }

  private async readAccessToken(token: string): Promise<AccessClaims> {
    const hit = this.verified.get(token)
    if (hit) {
      if (hit.exp * 1000 <= Date.now()) {
        this.verified.delete(token)
        throw resourceError(new OAuthError(401, 'invalid_token', 'The access token has expired'))
      }
      return hit
    }
    let payload
    try {
      ;({ payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], typ: 'at+jwt', issuer: this.issuer, audience: this.deps.config.serviceDid }))
    } catch (err) {
      const message = err instanceof joseErrors.JWTExpired ? 'The access token has expired' : 'The access token could not be verified'
      throw resourceError(new OAuthError(401, 'invalid_token', message))
    }
    const cnf = payload.cnf as { jkt?: unknown } | undefined
    if (typeof payload.sub !== 'string' || typeof payload.scope !== 'string' || typeof payload.sid !== 'string' || typeof cnf?.jkt !== 'string') {
      throw resourceError(new OAuthError(401, 'invalid_token', 'Malformed access token'))
    }
    const claims: AccessClaims = { did: payload.sub, scope: payload.scope, clientId: String(payload.client_id), sessionId: payload.sid, jkt: cnf.jkt, exp: payload.exp! }
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!)
    this.verified.set(token, claims)
    return claims
  }

  // ---- client authentication ----------------------------------------------

  /** Checks the client's credentials on a PAR or token request; returns how it authenticated. */
  private async authenticateClient(client: OAuthClient, form: Record<string, string>, path: string): Promise<string> {
    const method = client.metadata.token_endpoint_auth_method
    if (method === 'none') {
      if (form.client_assertion || form.client_secret) throw invalidClient('This client is public (token_endpoint_auth_method "none"): it sends no credentials')
      return 'none'
    }
    if (form.client_assertion_type !== CLIENT_ASSERTION_TYPE || !form.client_assertion) {
      throw invalidClient(`This client must authenticate with private_key_jwt (client_assertion_type ${CLIENT_ASSERTION_TYPE})`)
    }
    let verified
    try {
      verified = await jwtVerify(form.client_assertion, client.keys!, {
        issuer: client.id,
        subject: client.id,
        audience: [this.issuer, `${this.issuer}${path}`],
        algorithms: ['ES256', 'ES256K', 'ES384', 'ES512', 'PS256', 'RS256', 'EdDSA'],
        maxTokenAge: '5m',
      })
    } catch (err) {
      throw invalidClient(`The client assertion does not verify: ${(err as Error).message.slice(0, 120)}`)
    }
    const jti = verified.payload.jti
    if (typeof jti !== 'string' || !jti) throw invalidClient('The client assertion needs a jti')
    // Remembered for as long as the assertion (at most 5 minutes old) could pass.
    if (!this.taken.claim(`assertion ${client.id} ${jti}`, Date.now() + (5 * 60 + DPOP_MAX_AGE_SEC) * 1000)) throw invalidClient('This client assertion was already used')
    return `private_key_jwt:${verified.protectedHeader.kid ?? ''}`
  }
}

/** A DPoP or token failure on an XRPC call: 401 with WWW-Authenticate, the body in XRPC shape. */
function resourceError(err: OAuthError): HearthError {
  const description = err.description.replace(/"/g, "'")
  const headers: Record<string, string> = {
    'WWW-Authenticate': `DPoP algs="ES256", error="${err.error}", error_description="${description}"`,
    'Access-Control-Expose-Headers': 'WWW-Authenticate, DPoP-Nonce',
    ...err.headers,
  }
  return new HearthError('unauthenticated', err.error, err.description, headers)
}

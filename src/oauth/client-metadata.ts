/**
 * OAuth clients are known by their client id, which is the URL of their
 * metadata document (or, for development, `http://localhost?…`, whose
 * metadata the id itself describes). Hearth fetches the document (https,
 * public addresses only (src/net/public-fetch.ts), no redirects, 5 s, 64 KiB), parses it with @atproto/oauth-types' schema
 * and checks what the AT Protocol profile asks: the document's `client_id`
 * is its URL, `code` / `authorization_code`, DPoP-bound tokens, an `atproto`
 * scope, redirect URIs fit for the application type, and keys for a
 * confidential (`private_key_jwt`) client. Documents are kept 10 minutes.
 *
 * @example
 * const client = await clients.resolve('https://app.example/oauth-client-metadata.json')
 * client.metadata.redirect_uris
 */
import {
  atprotoLoopbackClientMetadata,
  isOAuthClientIdLoopback,
  oauthClientIdDiscoverableSchema,
  oauthClientMetadataSchema,
  type OAuthClientMetadata,
} from '@atproto/oauth-types'
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose'
import { OAuthError } from './oauth-error.js'
import { fetchPublic } from '../net/public-fetch.js'
import { BodyTooLargeError, readBodyWithin } from '../net/read-limited.js'

/** How documents are fetched: fetchPublic (public addresses only), or the plain fetch where the operator allows private hosts. */
export type DocumentFetch = (url: string, init: { headers: Record<string, string>; signal: AbortSignal }) => Promise<Response>

/** The plain fetch, for HEARTH_OAUTH_FETCH_PRIVATE_HOSTS=true (tests, a private network): no redirects. */
export const fetchAnyHost: DocumentFetch = (url, init) => fetch(url, { ...init, redirect: 'error' })

export interface OAuthClient {
  id: string
  metadata: OAuthClientMetadata
  /** A loopback development client: nothing vouches for who it is. */
  loopback: boolean
  /** Named by the operator in HEARTH_OAUTH_TRUSTED_CLIENTS: no consent screen. */
  trusted: boolean
  /** The keys a confidential client signs its assertions with. */
  keys: JWTVerifyGetKey | null
  scopes: Set<string>
}

const FETCH_TIMEOUT_MS = 5000
const MAX_DOCUMENT_BYTES = 64 * 1024
const CACHE_MS = 10 * 60_000
const CACHE_SIZE = 1000

const invalidClientMetadata = (d: string) => new OAuthError(400, 'invalid_client_metadata', d)

export class ClientResolver {
  private cache = new Map<string, { client: OAuthClient; at: number }>()

  constructor(
    private trusted: ReadonlySet<string>,
    private fetchDocument: DocumentFetch = fetchPublic,
  ) {}

  async resolve(clientId: unknown): Promise<OAuthClient> {
    if (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > 2048) throw new OAuthError(400, 'invalid_client', 'client_id is required')
    const hit = this.cache.get(clientId)
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.client
    const client = await this.load(clientId)
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!)
    this.cache.set(clientId, { client, at: Date.now() })
    return client
  }

  private async load(clientId: string): Promise<OAuthClient> {
    if (clientId.startsWith('http://')) {
      if (!isOAuthClientIdLoopback(clientId)) throw new OAuthError(400, 'invalid_client', 'An http client_id must be a loopback development client (http://localhost?…)')
      let metadata: OAuthClientMetadata
      try {
        metadata = oauthClientMetadataSchema.parse(atprotoLoopbackClientMetadata(clientId))
      } catch (err) {
        throw new OAuthError(400, 'invalid_client', `Bad loopback client_id: ${(err as Error).message.slice(0, 200)}`)
      }
      return this.checked(clientId, metadata, true, null)
    }
    if (!oauthClientIdDiscoverableSchema.safeParse(clientId).success) {
      throw new OAuthError(400, 'invalid_client', 'client_id must be the https URL of the client metadata document')
    }
    const doc = await fetchJson(this.fetchDocument, clientId, 'client metadata')
    const parsed = oauthClientMetadataSchema.safeParse(doc)
    if (!parsed.success) throw invalidClientMetadata(`The client metadata is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 300)}`)
    const metadata = parsed.data
    if (metadata.client_id !== clientId) throw invalidClientMetadata(`The client metadata's client_id (${String(metadata.client_id).slice(0, 100)}) is not its URL`)
    let keys: JWTVerifyGetKey | null = null
    if (metadata.token_endpoint_auth_method === 'private_key_jwt') {
      const jwks = metadata.jwks ?? (metadata.jwks_uri ? await fetchJson(this.fetchDocument, metadata.jwks_uri, 'client JWKS') : undefined)
      const set = jwks as JSONWebKeySet | undefined
      if (!set || !Array.isArray(set.keys) || set.keys.length === 0) throw invalidClientMetadata('A private_key_jwt client must publish its keys (jwks or jwks_uri)')
      if (set.keys.some((k) => 'd' in k)) throw invalidClientMetadata('The client JWKS contains a private key')
      // Signing keys only; `key_ops` is dropped because clients publish their key pair's ops
      // (["sign"]) on the public half, which WebCrypto would refuse to verify with.
      const signing = set.keys.filter((k) => k.use !== 'enc').map(({ key_ops: _ops, ...k }) => k)
      keys = createLocalJWKSet({ keys: signing })
    }
    return this.checked(clientId, metadata, false, keys)
  }

  private checked(clientId: string, metadata: OAuthClientMetadata, loopback: boolean, keys: JWTVerifyGetKey | null): OAuthClient {
    const scopes = new Set((metadata.scope ?? '').split(' ').filter(Boolean))
    if (!scopes.has('atproto')) throw invalidClientMetadata('The client metadata must declare the "atproto" scope')
    if (!metadata.response_types.includes('code')) throw invalidClientMetadata('response_types must include "code"')
    if (!metadata.grant_types.includes('authorization_code')) throw invalidClientMetadata('grant_types must include "authorization_code"')
    if (metadata.dpop_bound_access_tokens !== true) throw invalidClientMetadata('dpop_bound_access_tokens must be true')
    const method = metadata.token_endpoint_auth_method
    if (method !== 'none' && method !== 'private_key_jwt') throw invalidClientMetadata('token_endpoint_auth_method must be "none" or "private_key_jwt"')
    if (method === 'private_key_jwt' && !metadata.token_endpoint_auth_signing_alg) throw invalidClientMetadata('A private_key_jwt client must name token_endpoint_auth_signing_alg')
    if (metadata.redirect_uris.length === 0) throw invalidClientMetadata('redirect_uris is empty')
    const host = loopback ? null : new URL(clientId).hostname
    for (const uri of metadata.redirect_uris) {
      const u = new URL(uri)
      if (loopback || metadata.application_type === 'native') {
        const isLoopbackIp = u.protocol === 'http:' && (u.hostname === '127.0.0.1' || u.hostname === '[::1]')
        // A native app's own scheme is its client host, reversed (com.example.app:/callback).
        const ownScheme = host !== null && u.protocol === `${host.split('.').reverse().join('.')}:`
        if (!isLoopbackIp && !ownScheme && !(u.protocol === 'https:' && u.hostname === host)) {
          throw invalidClientMetadata(`Redirect URI ${uri.slice(0, 200)} does not fit a native or loopback client`)
        }
      } else if (u.protocol !== 'https:') {
        throw invalidClientMetadata(`A web client's redirect URIs must be https (${uri.slice(0, 200)})`)
      }
    }
    return { id: clientId, metadata, loopback, trusted: this.trusted.has(clientId), keys, scopes }
  }
}

/** GETs a small JSON document: no redirects, a timeout and a size limit. */
async function fetchJson(fetchDocument: DocumentFetch, url: string, what: string): Promise<unknown> {
  let res: Response
  try {
    res = await fetchDocument(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) })
  } catch (err) {
    throw invalidClientMetadata(`Could not fetch the ${what} at ${url.slice(0, 200)}: ${(err as Error).message.slice(0, 100)}`)
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => {})
    throw invalidClientMetadata(`Fetching the ${what} at ${url.slice(0, 200)} answered HTTP ${res.status}`)
  }
  let bytes: Uint8Array
  try {
    bytes = await readBodyWithin(res, MAX_DOCUMENT_BYTES)
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw invalidClientMetadata(`The ${what} is larger than ${MAX_DOCUMENT_BYTES} bytes`)
    throw err
  }
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch {
    throw invalidClientMetadata(`The ${what} at ${url.slice(0, 200)} is not JSON`)
  }
}

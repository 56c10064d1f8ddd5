/**
 * Permission sets Hearth does not ship, resolved the way the network does:
 * the NSID's authority (`com.example.authFull` → `example.com`) names a
 * DID in the DNS TXT record `_lexicon.example.com` (`did=…`); that DID's
 * PDS serves the `com.atproto.lexicon.schema` record named by the NSID,
 * with a signed commit proof that @atproto/lex-resolver checks against the
 * DID's key. DIDs resolve through the configured PLC directory only.
 *
 * Each fetch is time- and size-limited; the PDS named by a stranger's DID
 * document is reached over fetchPublic (public addresses) unless
 * HEARTH_OAUTH_FETCH_PRIVATE_HOSTS says otherwise. Answers are cached
 * (bounded; 10 minutes, a failure 1 minute) and concurrent asks for one
 * set share one resolution.
 *
 * A set is accepted only when every permission in it is one a set may
 * hold (the permission spec): `repo` and `rpc` permissions naming NSIDs
 * under the set's own group (com.example.authFull → com.example.*), no
 * wildcard, and rpc permissions without an audience of their own (they
 * take the include's `aud`). Anything else refuses the whole set, so an
 * app is never granted less than it was shown, or more.
 *
 * @example
 * const set = await remote.get('com.example.authFull') // LexiconPermissionSet, or OAuthError invalid_scope
 */
import { LexResolver, LexResolverError } from '@atproto/lex-resolver'
import type { LexiconPermissionSet } from '@atproto/oauth-scopes'
import { fetchPublic } from '../net/public-fetch.js'
import { readBodyWithin } from '../net/read-limited.js'
import { invalidScope, OAuthError } from './oauth-error.js'

const FETCH_TIMEOUT_MS = 5000
/** A lexicon record with its commit proof: a few KiB in practice. */
const MAX_RESPONSE_BYTES = 256 * 1024
const CACHE_MS = 10 * 60_000
const FAILURE_CACHE_MS = 60_000
const CACHE_SIZE = 500

export interface RemotePermissionSetsOptions {
  plcUrl: string
  /** HEARTH_OAUTH_FETCH_PRIVATE_HOSTS: the plain fetch to any host (tests, private networks). */
  fetchPrivateHosts: boolean
}

type Cached = { at: number; set: LexiconPermissionSet } | { at: number; error: OAuthError }

export class RemotePermissionSets {
  private resolver: LexResolver
  private cache = new Map<string, Cached>()
  private inFlight = new Map<string, Promise<LexiconPermissionSet>>()

  constructor(opts: RemotePermissionSetsOptions) {
    const plcOrigin = new URL(opts.plcUrl).origin
    this.resolver = new LexResolver({ plcDirectoryUrl: opts.plcUrl, fetch: limitedFetch(plcOrigin, opts.fetchPrivateHosts) as typeof fetch })
  }

  async get(nsid: string): Promise<LexiconPermissionSet> {
    const hit = this.cache.get(nsid)
    if (hit && Date.now() - hit.at < ('set' in hit ? CACHE_MS : FAILURE_CACHE_MS)) {
      if ('set' in hit) return hit.set
      throw hit.error
    }
    let pending = this.inFlight.get(nsid)
    if (!pending) {
      pending = this.load(nsid).finally(() => this.inFlight.delete(nsid))
      this.inFlight.set(nsid, pending)
    }
    return pending
  }

  private async load(nsid: string): Promise<LexiconPermissionSet> {
    try {
      const set = await this.fetchSet(nsid)
      this.remember(nsid, { at: Date.now(), set })
      return set
    } catch (err) {
      const error = err instanceof OAuthError ? err : invalidScope(`Could not resolve the permission set ${nsid}`)
      this.remember(nsid, { at: Date.now(), error })
      throw error
    }
  }

  private remember(nsid: string, entry: Cached): void {
    this.cache.delete(nsid)
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!)
    this.cache.set(nsid, entry)
  }

  private async fetchSet(nsid: string): Promise<LexiconPermissionSet> {
    let lexicon
    try {
      ;({ lexicon } = await this.resolver.get(nsid, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS * 3) }))
    } catch (err) {
      throw invalidScope(`Could not resolve the permission set ${nsid}: ${whyNot(err)}`)
    }
    const main = (lexicon.defs as Record<string, { type?: string }>).main
    if (main?.type !== 'permission-set') throw invalidScope(`${nsid} is a lexicon, but not a permission set (its main definition is ${main?.type ?? 'missing'})`)
    const set = main as unknown as LexiconPermissionSet
    const problem = permissionSetProblem(nsid, set)
    if (problem) throw invalidScope(`The permission set ${nsid} cannot be used: ${problem}`)
    return set
  }
}

/** Why a permission set may not be included, or null when every permission in it is allowed. */
export function permissionSetProblem(nsid: string, set: LexiconPermissionSet): string | null {
  if (!Array.isArray(set.permissions) || set.permissions.length === 0) return 'it lists no permissions'
  const group = nsid.slice(0, nsid.lastIndexOf('.') + 1)
  const outside = (n: unknown) => typeof n !== 'string' || n === '*' || !n.startsWith(group) || n.length <= group.length
  for (const p of set.permissions as unknown as Array<Record<string, unknown>>) {
    const resource = p?.resource
    if (resource !== 'repo' && resource !== 'rpc') return `a set may hold only repo and rpc permissions, not ${String(resource).slice(0, 40)}`
    const names = resource === 'repo' ? p.collection : p.lxm
    if (!Array.isArray(names) || names.length === 0) return `a ${resource} permission names no ${resource === 'repo' ? 'collection' : 'method'}`
    const bad = names.find(outside)
    if (bad !== undefined) return `it names ${String(bad).slice(0, 100)}, outside its own namespace ${group}*`
    if (resource === 'rpc' && p.aud !== undefined && p.aud !== '*') return 'an rpc permission in a set may not name its own audience (it takes the aud of the include: scope)'
  }
  return null
}

function whyNot(err: unknown): string {
  const cause = err instanceof LexResolverError ? (err as { cause?: unknown }).cause : undefined
  const text = [err instanceof Error ? err.message : String(err), cause instanceof Error ? cause.message : ''].filter(Boolean).join(': ')
  return text.slice(0, 200)
}

/**
 * The fetch lex-resolver uses: the PLC directory as configured; any other
 * host (the PDS a DID document names) over fetchPublic, unless private hosts
 * are allowed. Every answer is cut at MAX_RESPONSE_BYTES and FETCH_TIMEOUT_MS.
 */
function limitedFetch(plcOrigin: string, anyHost: boolean) {
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init)
    const signal = AbortSignal.any([AbortSignal.timeout(FETCH_TIMEOUT_MS), ...(request.signal ? [request.signal] : [])])
    const url = new URL(request.url)
    let res: Response
    if (url.origin === plcOrigin || anyHost) {
      res = await fetch(request, { signal, redirect: 'error' })
    } else {
      if (request.method !== 'GET') throw new Error(`only GET is allowed to ${url.host}`)
      res = await fetchPublic(request.url, { headers: Object.fromEntries(request.headers), signal })
    }
    return new Response((await readBodyWithin(res, MAX_RESPONSE_BYTES)) as BodyInit, { status: res.status, headers: res.headers })
  }
}

/**
 * Hearth's client for apps: ask a person for scopes, then read what they
 * granted, every record verified against the owner's key from their DID
 * document before it is handed over (@atproto/repo's verifiers,
 * @atproto/identity's resolver). The scope name stands where a collection
 * would in the proofs: a record's MST key is `<scope>/<key>`.
 *
 * @example
 * const client = new HearthAppClient({ pds: 'http://localhost:2583', identity, plcUrl: 'http://localhost:2582' })
 * const ask = await client.requestAccess({ owner: 'alice.test', scopes: ['instagram.profile'], reason: 'Shows your profile' })
 * console.log('Approve here:', ask.approveUrl)
 * const decision = await ask.wait()          // { status: 'approved', scopes: [...] }
 * const { records } = await client.listRecords('alice.test', 'instagram.profile')
 */
import crypto from 'node:crypto'
import { IdResolver, MemoryCache } from '@atproto/identity'
import { lexToJson } from '@atproto/lexicon'
import { MST, MemoryBlockstore, cborToLexRecord, def, readCarWithRoot, verifyProofs, verifyRecords, verifyRepoCar } from '@atproto/repo'
import { parseCid } from '@atproto/lex-data'
import { HearthError, NotGranted, Revoked, VerificationFailed } from './errors.js'
import { serviceToken, type TokenSigner } from './service-token.js'
import { followScopes, type FollowOptions, type Follow } from './scope-follower.js'

export interface HearthAppClientOptions {
  /** The person's Hearth server, e.g. https://pds.example. */
  pds: string
  identity: TokenSigner
  /** The PLC directory owners' DIDs live in (default: the public one). */
  plcUrl?: string
  /** Replaces the global fetch (tests, proxies). */
  fetch?: typeof fetch
  /** A resolver to share (its cache) between clients; default: one of its own, caching DID documents. */
  idResolver?: IdResolver
}

/** A verified scope record. */
export interface ScopeRecord {
  owner: string
  scope: string
  key: string
  cid: string
  collectedAt: string
  /** The ingested object (data-model JSON; files as blob references). */
  data: Record<string, unknown>
}

export interface AccessRequest {
  id: string
  approveUrl: string
  /** Polls until the person decides (or the request expires); resolves to the decision. */
  wait(opts?: { intervalMs?: number; timeoutMs?: number; signal?: AbortSignal }): Promise<AccessDecision>
}

export interface AccessDecision {
  id: string
  status: 'pending' | 'approved' | 'denied' | 'expired'
  /** The scopes granted (approved only). */
  scopes: string[]
  owner?: string
}

export class HearthAppClient {
  readonly pds: string
  readonly idResolver: IdResolver
  private fetch: typeof fetch
  private serviceDid?: Promise<string>
  /** "owner scope" pairs this client has seen granted: a 403 on one of them is a Revoked. */
  private granted = new Set<string>()
  private owners = new Map<string, string>()

  constructor(private opts: HearthAppClientOptions) {
    this.pds = opts.pds.replace(/\/$/, '')
    this.fetch = opts.fetch ?? globalThis.fetch.bind(globalThis)
    // DID documents cached (an hour fresh, a day at most): a follower checks every commit against the owner's key.
    this.idResolver = opts.idResolver ?? new IdResolver({ plcUrl: opts.plcUrl, timeout: 10_000, didCache: new MemoryCache(3600_000, 24 * 3600_000) })
  }

  /**
   * Asks for scopes. Send the person to `approveUrl`; `wait()` polls for the
   * decision, or read it from your `redirectUri` (see parseRedirect).
   */
  async requestAccess(req: { owner?: string; scopes: string[]; reason: string; redirectUri?: string }): Promise<AccessRequest> {
    const body = { scopes: req.scopes, reason: req.reason, ...(req.redirectUri ? { redirectUri: req.redirectUri } : {}), ...(req.owner ? { repo: req.owner } : {}) }
    const out = (await this.call('dev.hearth.grant.requestAccess', { body })) as { id: string; approveUrl: string }
    return { id: out.id, approveUrl: out.approveUrl, wait: (o) => this.waitForDecision(out.id, o) }
  }

  /** The current state of an access request. */
  async getRequest(id: string): Promise<AccessDecision> {
    const out = (await this.call('dev.hearth.grant.getRequest', { params: { id } })) as { id: string; status: AccessDecision['status']; scopes?: string[]; repo?: string }
    const decision = { id: out.id, status: out.status, scopes: out.scopes ?? [], owner: out.repo }
    if (decision.status === 'approved' && decision.owner) for (const s of decision.scopes) this.granted.add(`${decision.owner} ${s}`)
    return decision
  }

  /** `?request=<id>&status=approved|denied` on the redirect back to the app. */
  static parseRedirect(url: string | URL): { requestId: string; status: string } | null {
    const u = new URL(url)
    const requestId = u.searchParams.get('request')
    const status = u.searchParams.get('status')
    return requestId && status ? { requestId, status } : null
  }

  private async waitForDecision(id: string, o: { intervalMs?: number; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<AccessDecision> {
    const until = Date.now() + (o.timeoutMs ?? 24 * 3600_000)
    for (;;) {
      const d = await this.getRequest(id)
      if (d.status !== 'pending') return d
      if (Date.now() > until) return d
      if (o.signal?.aborted) throw o.signal.reason ?? new Error('aborted')
      await new Promise((r) => setTimeout(r, o.intervalMs ?? 1000))
    }
  }

  /** A page of a scope's records, newest first; each one verified by its proof before it is returned. */
  async listRecords(owner: string, scope: string, opts: { limit?: number; cursor?: string; reverse?: boolean } = {}): Promise<{ records: ScopeRecord[]; cursor?: string }> {
    const did = await this.ownerDid(owner)
    const params: Record<string, string> = { repo: did, scope, limit: String(opts.limit ?? 50) }
    if (opts.cursor) params.cursor = opts.cursor
    if (opts.reverse) params.reverse = 'true'
    const page = (await this.read(did, scope, 'dev.hearth.scope.listRecords', params)) as { records: { rkey: string; cid: string; collectedAt: string }[]; cursor?: string }
    const records: ScopeRecord[] = []
    for (const r of page.records) {
      // The proof is what counts: a record changed since the page was read comes back as it is now, one deleted meanwhile not at all.
      const rec = await this.getRecord(did, scope, r.rkey)
      if (rec) records.push(rec)
    }
    return { records, cursor: page.cursor }
  }

  /** The latest version of the record with `key`, verified; null when the proof shows there is none. */
  async getRecord(owner: string, scope: string, key: string): Promise<ScopeRecord | null> {
    const did = await this.ownerDid(owner)
    const car = (await this.read(did, scope, 'dev.hearth.scope.getRecord', { repo: did, scope, rkey: key }, 'bytes')) as Uint8Array
    return this.verified(did, async (signingKey) => {
      const claims = await verifyRecords(car, did, signingKey)
      const found = claims.find((c) => c.collection === scope && c.rkey === key)
      if (!found) {
        const absent = await verifyProofs(car, [{ collection: scope, rkey: key, cid: null }], did, signingKey)
        if (absent.verified.length !== 1) throw new VerificationFailed(`The proof for ${scope}/${key} neither holds the record nor proves it absent`)
        return null
      }
      const cid = await cidOfRecord(car, scope, key, did)
      return toScopeRecord(did, scope, key, cid, found.record)
    })
  }

  /** The whole scope as a CAR, verified (signature, every MST node and record); its records. */
  async getRepo(owner: string, scope: string): Promise<{ rev: string; records: ScopeRecord[] }> {
    const did = await this.ownerDid(owner)
    const car = (await this.read(did, scope, 'dev.hearth.scope.getRepo', { repo: did, scope }, 'bytes')) as Uint8Array
    return this.verified(did, async (signingKey) => {
      const repo = await verifyRepoCar(car, did, signingKey)
      const records = repo.creates
        .filter((c) => c.collection === scope)
        .map((c) => {
          const bytes = repo.commit.newBlocks.get(c.cid)
          if (!bytes) throw new VerificationFailed(`The CAR lacks the record block of ${scope}/${c.rkey}`)
          return toScopeRecord(did, scope, c.rkey, c.cid.toString(), cborToLexRecord(bytes))
        })
      return { rev: repo.commit.rev, records }
    })
  }

  /** A file of a scope; its bytes are checked against the CID (the hash) the record holds. */
  async getBlob(owner: string, scope: string, cid: string): Promise<{ bytes: Uint8Array; mimeType: string }> {
    const did = await this.ownerDid(owner)
    const res = (await this.read(did, scope, 'dev.hearth.scope.getBlob', { repo: did, scope, cid }, 'response')) as Response
    const bytes = new Uint8Array(await res.arrayBuffer())
    const parsed = parseCid(cid)
    const digest = crypto.createHash('sha256').update(bytes).digest()
    if (parsed.multihash.code !== 0x12 || !Buffer.from(parsed.multihash.digest).equals(digest)) {
      throw new VerificationFailed(`The file's bytes do not hash to ${cid}`)
    }
    return { bytes, mimeType: res.headers.get('content-type') ?? 'application/octet-stream' }
  }

  /**
   * Follows the scoped stream: `onRecord` for every create and update,
   * `onDelete` for every delete, of the given scopes from every owner who
   * granted them; every commit verified first. Reconnects after a drop from
   * the last event seen. `cursor` resumes from a seq kept earlier.
   */
  follow(scopes: string[], opts: FollowOptions): Follow {
    return followScopes(this.followDeps(), scopes, opts)
  }

  /** The server's DID (the `aud` of every token), from describeServer. */
  async audience(): Promise<string> {
    this.serviceDid ??= this.fetch(`${this.pds}/xrpc/com.atproto.server.describeServer`)
      .then((r) => r.json() as Promise<{ did: string }>)
      .then((d) => d.did)
    return this.serviceDid
  }

  private followDeps() {
    return {
      pds: this.pds,
      token: async (lxm: string) => serviceToken(this.opts.identity, { aud: await this.audience(), lxm }),
      signingKey: (did: string, refresh: boolean) => this.idResolver.did.resolveAtprotoKey(did, refresh),
      toRecord: toScopeRecord,
    }
  }

  /** Runs a verification with the owner's current key; once more with a freshly resolved key should it fail (a rotated key). */
  private async verified<T>(did: string, check: (signingKey: string) => Promise<T>): Promise<T> {
    try {
      return await check(await this.idResolver.did.resolveAtprotoKey(did))
    } catch {
      try {
        return await check(await this.idResolver.did.resolveAtprotoKey(did, true))
      } catch (err) {
        if (err instanceof VerificationFailed) throw err
        throw new VerificationFailed(`Does not verify against ${did}'s key: ${(err as Error).message}`)
      }
    }
  }

  /** A DID for a handle or DID (handles resolved by the server, which knows its own accounts). */
  private async ownerDid(owner: string): Promise<string> {
    if (owner.startsWith('did:')) return owner
    let did = this.owners.get(owner)
    if (!did) {
      const out = (await this.call('com.atproto.identity.resolveHandle', { params: { handle: owner }, auth: false })) as { did: string }
      did = out.did
      this.owners.set(owner, did)
    }
    return did
  }

  private async read(did: string, scope: string, nsid: string, params: Record<string, string>, as: 'json' | 'bytes' | 'response' = 'json') {
    const key = `${did} ${scope}`
    try {
      const out = await this.call(nsid, { params, as })
      this.granted.add(key)
      return out
    } catch (err) {
      if (err instanceof NotGranted && this.granted.has(key)) throw new Revoked(err.message, err.status, err.error)
      throw err
    }
  }

  private async call(nsid: string, o: { params?: Record<string, string>; body?: unknown; as?: 'json' | 'bytes' | 'response'; auth?: boolean }): Promise<unknown> {
    const url = new URL(`${this.pds}/xrpc/${nsid}`)
    for (const [k, v] of Object.entries(o.params ?? {})) url.searchParams.set(k, v)
    const headers: Record<string, string> = {}
    if (o.auth !== false) headers.authorization = `Bearer ${await serviceToken(this.opts.identity, { aud: await this.audience(), lxm: nsid })}`
    if (o.body !== undefined) headers['content-type'] = 'application/json'
    const res = await this.fetch(url, { method: o.body === undefined ? 'GET' : 'POST', headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) })
    if (!res.ok) {
      const err = (await res.json().catch(() => ({}))) as { error?: string; message?: string }
      const message = `${nsid}: ${err.message ?? res.statusText}`
      if (res.status === 403 && err.error === 'ScopeAccessDenied') throw new NotGranted(message, res.status, err.error)
      throw new HearthError(message, res.status, err.error)
    }
    if (o.as === 'response') return res
    if (o.as === 'bytes') return new Uint8Array(await res.arrayBuffer())
    return res.json()
  }
}

/** The CID the (already verified) proof holds for `<scope>/<key>`. */
async function cidOfRecord(car: Uint8Array, scope: string, key: string, did: string): Promise<string> {
  const { root, blocks } = await readCarWithRoot(car)
  const storage = new MemoryBlockstore(blocks)
  const commit = await storage.readObj(root, def.commit)
  const cid = await MST.load(storage, commit.data).get(`${scope}/${key}`)
  if (!cid) throw new VerificationFailed(`No ${scope}/${key} in ${did}'s proof`)
  return cid.toString()
}

export function toScopeRecord(owner: string, scope: string, key: string, cid: string, record: unknown): ScopeRecord {
  const json = lexToJson(record as never) as { collectedAt?: string; data?: Record<string, unknown>; scope?: string }
  if (json.scope !== scope) throw new VerificationFailed(`${scope}/${key} holds a record of scope ${json.scope}`)
  return { owner, scope, key, cid, collectedAt: json.collectedAt ?? '', data: json.data ?? {} }
}

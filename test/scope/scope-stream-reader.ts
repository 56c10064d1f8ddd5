/**
 * An app following dev.hearth.scope.subscribe (the firehose tests' StreamReader
 * on the scoped endpoint), and a verifier that
 * treats each #commit as a relay would: valid against the subscribeRepos
 * #commit lexicon, ops proven against the signed commit with
 * @atproto/sync's parseCommitAuthenticated (the DID document's key), and
 * each scope repository's chain (since, prevData) unbroken.
 */
import { schemas } from '@atproto/api'
import { Lexicons, type LexiconDoc } from '@atproto/lexicon'
import type { IdResolver } from '@atproto/identity'
import { parseCommitAuthenticated } from '@atproto/sync'
import { CommitChainChecker, StreamReader, type Frame } from '../firehose/stream-reader.js'

/** Subscribes to dev.hearth.scope.subscribe with the token in the Authorization header, or (`inQuery`) as the `token` parameter. */
export function openScopeStream(
  serverUrl: string,
  token: string | null,
  opts: { cursor?: number; inQuery?: boolean } = {},
): Promise<StreamReader> {
  const query: Record<string, string> = {}
  if (opts.cursor !== undefined) query.cursor = String(opts.cursor)
  if (token && opts.inQuery) query.token = token
  const headers: Record<string, string> = token && !opts.inQuery ? { authorization: `Bearer ${token}` } : {}
  return StreamReader.connect(serverUrl, '/xrpc/dev.hearth.scope.subscribe', { query, headers })
}

/** The scope a #commit belongs to, from its op paths (`<scope>/<rkey>`); null for an op-less first commit. */
export function scopeOf(body: Record<string, any>): string | null {
  const paths = (body.ops as { path: string }[]).map((op) => op.path.slice(0, op.path.indexOf('/')))
  if (paths.length === 0) return null
  if (new Set(paths).size !== 1) throw new Error(`a commit spans scopes: ${paths.join(', ')}`)
  return paths[0]
}

export class ScopeCommitVerifier {
  private lexicons = new Lexicons((schemas as unknown as LexiconDoc[]).map((d) => structuredClone(d)))
  /** One chain per scope repository: "did scope" → checker. */
  private chains = new Map<string, CommitChainChecker>()
  /** A scope's first commit has no ops, so it names no scope: its chain waits under "did rev" for the next commit. */
  private firsts = new Map<string, CommitChainChecker>()
  verified = 0

  constructor(private idResolver: IdResolver) {}

  /** Verifies one #commit frame; returns its scope (null for a first, empty commit) and the records it created. */
  async verify(frame: Frame): Promise<{ scope: string | null; creates: Map<string, unknown> }> {
    const body = frame.body
    this.lexicons.assertValidXrpcMessage('com.atproto.sync.subscribeRepos', { $type: 'com.atproto.sync.subscribeRepos#commit', ...body })
    const scope = scopeOf(body)
    const creates = new Map<string, unknown>()
    if (scope === null) {
      if (body.since !== null) throw new Error(`seq ${body.seq}: a commit without ops that is not a first commit`)
      const chain = new CommitChainChecker(this.idResolver)
      await chain.check(body)
      this.firsts.set(`${body.repo} ${body.rev}`, chain)
      this.verified++
      return { scope, creates }
    }
    const key = `${body.repo} ${scope}`
    let chain = this.chains.get(key) ?? this.firsts.get(`${body.repo} ${body.since}`)
    if (!chain) chain = new CommitChainChecker(this.idResolver)
    this.chains.set(key, chain)
    await chain.check(body)
    const evts = await parseCommitAuthenticated(this.idResolver, body as never)
    if (evts.length !== body.ops.length) throw new Error(`only ${evts.length} of ${body.ops.length} ops verified`)
    for (const e of evts) if (e.event === 'create') creates.set(`${e.collection}/${e.rkey}`, e.record)
    this.verified++
    return { scope, creates }
  }
}

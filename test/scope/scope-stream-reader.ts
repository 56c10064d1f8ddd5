/**
 * An app following dev.hearth.scope.subscribe: a `ws` client that keeps
 * every frame (raw bytes and decoded header + body), and a verifier that
 * treats each #commit as a relay would: valid against the subscribeRepos
 * #commit lexicon, ops proven against the signed commit with
 * @atproto/sync's parseCommitAuthenticated (the DID document's key), and
 * each scope repository's chain (since, prevData) unbroken.
 */
import { WebSocket } from 'ws'
import { decodeAll } from '@atproto/lex-cbor'
import { schemas } from '@atproto/api'
import { Lexicons, type LexiconDoc } from '@atproto/lexicon'
import type { IdResolver } from '@atproto/identity'
import { parseCommitAuthenticated } from '@atproto/sync'
import { CommitChainChecker } from '../firehose/stream-reader.js'

export interface ScopeFrame {
  raw: Buffer
  op: number
  t?: string
  body: Record<string, any>
}

export class ScopeStreamReader {
  readonly frames: ScopeFrame[] = []
  readonly closed: Promise<{ code: number; reason: string }>
  private waiters = new Set<() => void>()

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const [header, body] = [...decodeAll(new Uint8Array(data))] as [{ op: number; t?: string }, Record<string, any>]
      this.frames.push({ raw: Buffer.from(data), op: header.op, t: header.t, body })
      for (const w of this.waiters) w()
    })
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() })
        for (const w of this.waiters) w()
      })
    })
    ws.on('error', () => {})
  }

  /** Connects with the token in the Authorization header, or (`inQuery`) as the `token` parameter. */
  static async open(serverUrl: string, token: string | null, opts: { cursor?: number; inQuery?: boolean } = {}): Promise<ScopeStreamReader> {
    const url = new URL('/xrpc/dev.hearth.scope.subscribe', serverUrl.replace(/^http/, 'ws'))
    if (opts.cursor !== undefined) url.searchParams.set('cursor', String(opts.cursor))
    if (token && opts.inQuery) url.searchParams.set('token', token)
    const ws = new WebSocket(url, { headers: token && !opts.inQuery ? { authorization: `Bearer ${token}` } : {} })
    const reader = new ScopeStreamReader(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    return reader
  }

  commits(): ScopeFrame[] {
    return this.frames.filter((f) => f.op === 1 && f.t === '#commit')
  }

  async until(done: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    if (done()) return
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check)
        reject(new Error(`timed out waiting for ${what}; have ${this.frames.length} frames`))
      }, timeoutMs)
      const check = () => {
        if (!done()) return
        clearTimeout(timer)
        this.waiters.delete(check)
        resolve()
      }
      this.waiters.add(check)
    })
  }

  close(): void {
    this.ws.close()
  }
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
  async verify(frame: ScopeFrame): Promise<{ scope: string | null; creates: Map<string, unknown> }> {
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

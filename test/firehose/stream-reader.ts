/**
 * What the firehose tests read the stream with: a plain `ws` client that
 * decodes every frame (DAG-CBOR header + body) and keeps them in order, and
 * a checker for the sync v1.1 commit chain (since, prevData, and the ops
 * inverted against the blocks the event carries).
 */
import { WebSocket } from 'ws'
import { decodeAll } from '@atproto/lex-cbor'
import { MST, MemoryBlockstore, def, readCarWithRoot, verifyCommitSig } from '@atproto/repo'
import type { IdResolver } from '@atproto/identity'

export interface Frame {
  /** The frame as received, for byte-level searches. */
  raw: Buffer
  op: number
  t?: string
  body: Record<string, any>
}

export class StreamReader {
  readonly frames: Frame[] = []
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

  /**
   * Opens a subscription; resolves once the server has taken it. `paused`
   * stops reading from the very first byte (call `ws.resume()` to read on):
   * a subscriber that never reads.
   */
  static async open(serviceUrl: string, params: { cursor?: number | string; paused?: boolean } = {}): Promise<StreamReader> {
    const query: Record<string, string> = params.cursor !== undefined ? { cursor: String(params.cursor) } : {}
    return StreamReader.connect(serviceUrl, '/xrpc/com.atproto.sync.subscribeRepos', { query, paused: params.paused })
  }

  /** Opens any subscription endpoint of the server with these query parameters and headers. */
  static async connect(
    serviceUrl: string,
    path: string,
    opts: { query?: Record<string, string>; headers?: Record<string, string>; paused?: boolean } = {},
  ): Promise<StreamReader> {
    const url = new URL(path, serviceUrl.replace(/^http/, 'ws'))
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v)
    const ws = new WebSocket(url, { headers: opts.headers ?? {} })
    if (opts.paused) ws.once('upgrade', (res) => res.socket.pause())
    const reader = new StreamReader(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    return reader
  }

  /** The #commit frames received so far. */
  commits(): Frame[] {
    return this.frames.filter((f) => f.op === 1 && f.t === '#commit')
  }

  /** The seqs of the event frames received so far. */
  seqs(): number[] {
    return this.frames.filter((f) => f.op === 1 && f.t !== '#info').map((f) => f.body.seq as number)
  }

  lastSeq(): number {
    const s = this.seqs()
    return s.length ? s[s.length - 1] : -1
  }

  /** Waits until `done()` holds (checked on every frame and on close). */
  async until(done: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    if (done()) return
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check)
        reject(new Error(`timed out waiting for ${what}; have ${this.frames.length} frames, last seq ${this.lastSeq()}`))
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

  untilSeq(seq: number, timeoutMs?: number): Promise<void> {
    return this.until(() => this.lastSeq() >= seq, `seq ${seq}`, timeoutMs)
  }

  close(): void {
    this.ws.close()
  }
}

/** Polls `check` until it is true: for server-side state the stream cannot show. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

interface RepoHead {
  rev: string
  data: string
}

/**
 * Checks every #commit the way a relay following sync v1.1 does: the commit
 * block is the CAR's root and is signed by the repo's key; `since` is the
 * previous commit's rev; `prevData` is the previous commit's MST root; and
 * undoing the ops on the new tree, using only the blocks in the event, gives
 * back `prevData`. Throws on the first event that fails.
 */
export class CommitChainChecker {
  private heads = new Map<string, RepoHead>()
  checked = 0

  constructor(private idResolver: IdResolver) {}

  async check(body: Record<string, any>): Promise<void> {
    const did = body.repo as string
    const where = `${did} seq ${body.seq}`
    const { root, blocks } = await readCarWithRoot(body.blocks)
    if (root.toString() !== body.commit.toString()) throw new Error(`${where}: CAR root is not the commit`)
    const storage = new MemoryBlockstore(blocks)
    const commit = await storage.readObj(root, def.commit)
    if (commit.did !== did || commit.rev !== body.rev) throw new Error(`${where}: commit block does not match the event`)
    const key = await this.idResolver.did.resolveAtprotoKey(did, true)
    if (!(await verifyCommitSig(commit, key))) throw new Error(`${where}: bad commit signature`)

    const prev = this.heads.get(did)
    if (prev) {
      if (body.since !== prev.rev) throw new Error(`${where}: since ${body.since}, previous rev ${prev.rev}`)
      if (body.prevData?.toString() !== prev.data) throw new Error(`${where}: prevData ${body.prevData}, previous data ${prev.data}`)
    }
    if (body.since !== null && body.prevData) {
      let mst = MST.load(storage, commit.data)
      for (const op of body.ops as { action: string; path: string; cid: any; prev?: any }[]) {
        const now = await mst.get(op.path)
        if (op.action === 'delete') {
          if (now !== null) throw new Error(`${where}: deleted ${op.path} still in the tree`)
          if (!op.prev) throw new Error(`${where}: delete of ${op.path} without prev`)
          mst = await mst.add(op.path, op.prev)
        } else {
          if (now?.toString() !== op.cid.toString()) throw new Error(`${where}: ${op.path} is not ${op.cid} in the tree`)
          if (op.action === 'create') {
            if (op.prev) throw new Error(`${where}: create of ${op.path} with prev`)
            mst = await mst.delete(op.path)
          } else {
            if (!op.prev) throw new Error(`${where}: update of ${op.path} without prev`)
            mst = await mst.update(op.path, op.prev)
          }
        }
      }
      const inverted = await mst.getPointer()
      if (inverted.toString() !== body.prevData.toString()) {
        throw new Error(`${where}: inverting the ops gives ${inverted}, not prevData ${body.prevData}`)
      }
    } else if (prev) {
      throw new Error(`${where}: a commit after the first must carry since and prevData`)
    }
    this.heads.set(did, { rev: body.rev, data: commit.data.toString() })
    this.checked++
  }
}

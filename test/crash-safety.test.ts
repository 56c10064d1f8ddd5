/**
 * A write that was acknowledged survives `kill -9`. Hearth runs as a child
 * process (src/main.ts); four clients stream createRecord calls at it; the
 * process is SIGKILLed in the middle, with writes in flight, and started
 * again on the same data folder. Every write that got its 200 must be there
 * with its CID, the repository must verify against the key in the DID
 * document, and the event log must carry one #commit per commit, in order,
 * with seq still growing after the restart.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AtpAgent } from '@atproto/api'
import { IdResolver } from '@atproto/identity'
import { verifyRepoCar } from '@atproto/repo'
import { decodeAll } from '@atproto/lex-cbor'
import { freePort, startTestPlc } from './helpers/test-server.js'
import { startChildServer, type ChildServer } from './helpers/child-server.js'
import type { EmbeddedPlc } from '../src/identity/embedded-plc.js'

const COLLECTION = 'app.bsky.feed.post'
const CONCURRENCY = 4
/** Acknowledged writes per round before the kill. */
const ACKS_BEFORE_KILL = 30
const ROUNDS = 2

interface Acked {
  uri: string
  cid: string
  rev: string
}

describe('crash safety: SIGKILL in the middle of a stream of writes', () => {
  let plc: EmbeddedPlc
  let dataDir: string
  let env: Record<string, string>
  let child: ChildServer | undefined

  beforeAll(async () => {
    plc = await startTestPlc()
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-crash-'))
    const port = await freePort()
    env = {
      HEARTH_DATA_DIR: dataDir,
      HEARTH_PORT: String(port),
      HEARTH_HOST: '127.0.0.1',
      HEARTH_PUBLIC_URL: `http://localhost:${port}`,
      HEARTH_PLC_URL: plc.url,
      HEARTH_REGISTRATION: 'open',
      HEARTH_LOG_LEVEL: 'warn',
    }
  })

  afterAll(async () => {
    await child?.kill('SIGKILL')
    await plc?.close()
    fs.rmSync(dataDir, { recursive: true, force: true })
  })

  it('keeps every acknowledged write, verifies, and keeps seq growing', async () => {
    child = await startChildServer(env)
    const signup = new AtpAgent({ service: child.url })
    await signup.createAccount({ handle: 'crashy.test', password: 'crash-test-password', email: 'crashy@example.com' })
    const did = signup.session!.did

    const acked: Acked[] = []
    let attempted = 0
    for (let round = 0; round < ROUNDS; round++) {
      const agent = new AtpAgent({ service: child.url })
      await agent.login({ identifier: 'crashy.test', password: 'crash-test-password' })
      const target = acked.length + ACKS_BEFORE_KILL
      let killed: Promise<unknown> | null = null
      const worker = async (w: number) => {
        for (let i = 0; ; i++) {
          attempted++
          try {
            const res = await agent.com.atproto.repo.createRecord({
              repo: did,
              collection: COLLECTION,
              record: { $type: COLLECTION, text: `round ${round} worker ${w} write ${i}`, createdAt: new Date().toISOString() },
            })
            acked.push({ uri: res.data.uri, cid: res.data.cid, rev: res.data.commit!.rev })
          } catch (err) {
            if (killed) return // the server is gone: this write was never acknowledged
            throw err
          }
          // Kill at the target with the other workers' writes still in flight.
          if (acked.length >= target && !killed) killed = child!.kill('SIGKILL')
        }
      }
      await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)))
      const exit = await killed
      expect(exit).toMatchObject({ signal: 'SIGKILL' })
      child = await startChildServer(env)
    }
    // Writes were in flight at each kill (their outcome is unknown, so not checked).
    expect(attempted).toBeGreaterThan(acked.length)

    // 1. Every acknowledged write reads back with its CID.
    const reader = new AtpAgent({ service: child.url })
    for (const a of acked) {
      const rkey = a.uri.split('/').pop()!
      const got = await reader.com.atproto.repo.getRecord({ repo: did, collection: COLLECTION, rkey })
      expect(got.data.cid, a.uri).toBe(a.cid)
    }

    // 2. The whole repo verifies against the signing key in the DID document.
    const signingKey = await new IdResolver({ plcUrl: plc.url }).did.resolveAtprotoKey(did, true)
    const car = await reader.com.atproto.sync.getRepo({ did })
    const verified = await verifyRepoCar(new Uint8Array(car.data), did, signingKey)
    const inRepo = new Map(verified.creates.map((c) => [`at://${did}/${c.collection}/${c.rkey}`, c.cid.toString()]))
    for (const a of acked) expect(inRepo.get(a.uri), a.uri).toBe(a.cid)
    const listed = await listAll(reader, did)
    expect(listed.length).toBe(inRepo.size)

    // 3. A write after the restart, then a clean stop to read the event log.
    const agent = new AtpAgent({ service: child.url })
    await agent.login({ identifier: 'crashy.test', password: 'crash-test-password' })
    const last = await agent.com.atproto.repo.createRecord({
      repo: did,
      collection: COLLECTION,
      record: { $type: COLLECTION, text: 'after the crashes', createdAt: new Date().toISOString() },
    })
    const head = await reader.com.atproto.sync.getLatestCommit({ did })
    expect(head.data.rev).toBe(last.data.commit!.rev)
    expect(await child.kill('SIGTERM')).toMatchObject({ code: 0 })
    child = undefined

    const commits = readCommitEvents(path.join(dataDir, 'hearth.sqlite'), did)
    // One #commit per commit: the genesis commit plus one per record (all creates).
    expect(commits.length).toBe(1 + inRepo.size + 1)
    for (let i = 1; i < commits.length; i++) {
      expect(commits[i].seq).toBeGreaterThan(commits[i - 1].seq)
      expect(commits[i].rev > commits[i - 1].rev, `rev order at seq ${commits[i].seq}`).toBe(true)
      expect(commits[i].since).toBe(commits[i - 1].rev)
    }
    // The frame's seq is the row's seq, and the write after the restarts is the newest event.
    for (const c of commits) expect(c.frameSeq).toBe(c.seq)
    expect(commits.at(-1)!.rev).toBe(last.data.commit!.rev)
    const revsLogged = new Set(commits.map((c) => c.rev))
    for (const a of acked) expect(revsLogged.has(a.rev), a.rev).toBe(true)
  })
})

async function listAll(agent: AtpAgent, did: string) {
  const out: { uri: string; cid: string }[] = []
  let cursor: string | undefined
  do {
    const page = await agent.com.atproto.repo.listRecords({ repo: did, collection: COLLECTION, limit: 100, cursor })
    out.push(...page.data.records)
    cursor = page.data.records.length ? page.data.cursor : undefined
  } while (cursor)
  return out
}

/** The #commit rows of a repo, decoded, in seq order (read with the server stopped). */
function readCommitEvents(file: string, did: string) {
  const db = new Database(file, { readonly: true })
  try {
    const rows = db
      .prepare(`SELECT seq, frame FROM repo_seq WHERE did = ? AND event_type = '#commit' ORDER BY seq`)
      .all(did) as { seq: number; frame: Uint8Array }[]
    return rows.map((r) => {
      const [header, body] = [...decodeAll(r.frame)] as [{ op: number; t: string }, { seq: number; rev: string; since: string | null }]
      expect(header).toEqual({ op: 1, t: '#commit' })
      return { seq: r.seq, frameSeq: body.seq, rev: body.rev, since: body.since }
    })
  } finally {
    db.close()
  }
}

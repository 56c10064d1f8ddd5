/**
 * SIGTERM in the middle of a stream of writes: Hearth (src/main.ts as its own
 * process) stops accepting, answers the writes it had taken, closes firehose
 * subscribers with a 1001 close frame, closes SQLite and exits 0. Started
 * again on the same folder, every acknowledged write is there with its CID
 * and the repository verifies against the DID document key.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { AtpAgent } from '@atproto/api'
import { IdResolver } from '@atproto/identity'
import { verifyRepoCar } from '@atproto/repo'
import { freePort } from '../helpers/test-server.js'
import { startChildServer, type ChildServer } from '../helpers/child-server.js'

const COLLECTION = 'app.bsky.feed.post'
const WRITERS = 4
const ACKS_BEFORE_SIGTERM = 40

describe('graceful shutdown', () => {
  let dataDir: string
  let env: Record<string, string>
  let child: ChildServer | undefined

  beforeAll(async () => {
    // Short: the socket path must fit in a Unix socket address.
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-stop-'))
    const port = await freePort()
    env = {
      HEARTH_DATA_DIR: dataDir,
      HEARTH_PORT: String(port),
      HEARTH_HOST: '127.0.0.1',
      HEARTH_PUBLIC_URL: `http://localhost:${port}`,
      HEARTH_REGISTRATION: 'open',
      HEARTH_LOG_LEVEL: 'info',
      HEARTH_RATE_LIMITS: 'off',
    }
  })

  afterAll(async () => {
    await child?.kill('SIGKILL')
    fs.rmSync(dataDir, { recursive: true, force: true })
  })

  it('SIGTERM mid-stream: no acknowledged write lost, subscribers get a close frame, exit 0', async () => {
    child = await startChildServer(env)
    const agent = new AtpAgent({ service: child.url })
    await agent.createAccount({ handle: 'stream.test', password: 'stream-password' })
    const did = agent.session!.did

    const firehose = new WebSocket(`${child.url.replace('http', 'ws')}/xrpc/com.atproto.sync.subscribeRepos`)
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      firehose.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    )
    await new Promise((resolve, reject) => {
      firehose.once('open', resolve)
      firehose.once('error', reject)
    })

    const acked = new Map<string, string>()
    const failures: string[] = []
    let stop = false
    let reachedTarget!: () => void
    const target = new Promise<void>((r) => (reachedTarget = r))
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await agent.com.atproto.repo.createRecord({
            repo: did,
            collection: COLLECTION,
            record: { $type: COLLECTION, text: `writer ${w} #${i}`, createdAt: new Date().toISOString() },
          })
          acked.set(res.data.uri, res.data.cid)
          if (acked.size >= ACKS_BEFORE_SIGTERM) reachedTarget()
        } catch (err) {
          // Refused or cut off during shutdown: never acknowledged, so never promised.
          failures.push((err as Error).message)
          return
        }
      }
    }
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w))
    await target
    const exit = child.kill('SIGTERM')
    const { code } = await exit
    stop = true
    await Promise.all(writers)

    expect(code).toBe(0)
    expect(await closed).toMatchObject({ code: 1001 })
    expect(child.logs().some((l) => l.msg === 'stopped')).toBe(true)
    expect(failures.length).toBe(WRITERS) // every writer was eventually turned away
    const ackedCount = acked.size
    expect(ackedCount).toBeGreaterThanOrEqual(ACKS_BEFORE_SIGTERM)

    child = await startChildServer(env)
    const reader = new AtpAgent({ service: child.url })
    const stored = new Map<string, string>()
    let cursor: string | undefined
    do {
      const page = await reader.com.atproto.repo.listRecords({ repo: did, collection: COLLECTION, limit: 100, cursor })
      for (const r of page.data.records) stored.set(r.uri, r.cid)
      cursor = page.data.cursor
    } while (cursor)
    for (const [uri, cid] of acked) expect(stored.get(uri), uri).toBe(cid)

    const car = await reader.com.atproto.sync.getRepo({ did })
    const resolver = new IdResolver({ plcUrl: (await controlStatus(child)).plcUrl })
    const key = await resolver.did.resolveAtprotoKey(did)
    const verified = await verifyRepoCar(car.data, did, key)
    expect(verified.creates.length).toBe(stored.size)

    const { code: second } = await child.kill('SIGINT')
    expect(second).toBe(0)
    child = undefined
    expect(fs.existsSync(path.join(dataDir, 'control.sock'))).toBe(false)
  })
})

/** The running server's status, read through its control socket. */
async function controlStatus(child: ChildServer): Promise<{ plcUrl: string }> {
  const { ControlClient } = await import('../../src/control/control-client.js')
  const socket = child.logs().find((l) => typeof l.controlSocket === 'string')?.controlSocket as string
  return new ControlClient(socket).json('GET', '/status')
}

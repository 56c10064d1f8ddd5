/**
 * The firehose when Hearth lives inside a host's Hono server: the host's
 * Node server hands upgrades to `pds.upgrade`, events of writes made
 * through the host arrive, and `pds.close()` ends subscriptions with 1001.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Hono } from 'hono'
import { serve, type ServerType } from '@hono/node-server'
import { AtpAgent } from '@atproto/api'
import { createPds, loadConfig } from '../../src/index.js'
import { freePort, startTestPlc } from '../helpers/test-server.js'
import type { EmbeddedPlc } from '../../src/identity/embedded-plc.js'
import { CommitChainChecker, StreamReader } from './stream-reader.js'
import { IdResolver } from '@atproto/identity'

describe('the firehose of an embedded Hearth', () => {
  let plc: EmbeddedPlc
  let dataDir: string
  let server: ServerType
  afterAll(async () => {
    ;(server as unknown as { closeAllConnections?: () => void } | undefined)?.closeAllConnections?.()
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    await plc?.close()
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
  })

  it("streams the host's writes and says goodbye with 1001 on close()", async () => {
    plc = await startTestPlc()
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-fh-embed-'))
    const port = await freePort()
    const url = `http://localhost:${port}`
    const pds = await createPds(
      loadConfig({
        HEARTH_PORT: String(port),
        HEARTH_DATA_DIR: dataDir,
        HEARTH_PLC_URL: plc.url,
        HEARTH_PUBLIC_URL: url,
        HEARTH_REGISTRATION: 'open',
        HEARTH_LOG_LEVEL: 'silent',
      }),
    )
    const host = new Hono()
    host.get('/notes', (c) => c.json([]))
    host.route('/', pds.app)
    server = await new Promise((resolve) => {
      const s = serve({ fetch: host.fetch, port, hostname: '127.0.0.1' }, () => resolve(s))
    })
    server.on('upgrade', (req, socket, head) => {
      if (!pds.upgrade(req, socket, head)) socket.destroy()
    })

    const reader = await StreamReader.open(url)
    const agent = new AtpAgent({ service: url })
    await agent.createAccount({ handle: 'embedded.test', password: 'embedded-password', email: 'e@example.com' })
    for (let i = 0; i < 3; i++) {
      await agent.com.atproto.repo.createRecord({
        repo: agent.session!.did,
        collection: 'app.bsky.feed.post',
        record: { $type: 'app.bsky.feed.post', text: `note ${i}`, createdAt: new Date().toISOString() },
      })
    }
    const last = pds.ctx.eventLog.lastSeq()
    await reader.untilSeq(last)
    expect(reader.frames.map((f) => f.t)).toEqual(['#identity', '#account', '#commit', '#sync', '#commit', '#commit', '#commit'])
    const chain = new CommitChainChecker(new IdResolver({ plcUrl: plc.url }))
    for (const f of reader.frames) if (f.t === '#commit') await chain.check(f.body)

    await pds.close()
    const closed = await reader.closed
    expect(closed.code).toBe(1001)
    // After close, Hearth refuses new firehose upgrades instead of hanging them.
    await expect(StreamReader.open(url)).rejects.toThrow(/503/)
  })
})

/**
 * Hearth inside a host's Hono server: the host has its own routes (before
 * and after mounting Hearth) and its own WebSocket, mounts `createPds().app`
 * with `host.route('/', pds.app)`, passes its Node server's upgrades through
 * `pds.upgrade` first, and closes Hearth with `close()`.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Hono } from 'hono'
import { serve, type ServerType } from '@hono/node-server'
import { WebSocket, WebSocketServer } from 'ws'
import { AtpAgent } from '@atproto/api'
import { createPds, loadConfig, type Pds } from '../../src/index.js'
import { pdsContext } from '../../src/embed/internals.js'
import { freePort, startTestPlc } from '../helpers/test-server.js'
import type { EmbeddedPlc } from '../../src/identity/embedded-plc.js'

describe('Hearth mounted in a host Hono app', () => {
  let plc: EmbeddedPlc
  let dataDir: string
  let pds: Pds
  let server: ServerType
  let url: string
  /** What pds.upgrade answered, per path, as the host saw it. */
  const upgradeAnswers: { path: string; hearth: boolean }[] = []

  beforeAll(async () => {
    plc = await startTestPlc()
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-embed-'))
    const port = await freePort()
    url = `http://localhost:${port}`
    pds = await createPds(
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
    host.get('/', (c) => c.text('the notes app'))
    host.get('/api/notes', (c) => c.json({ notes: ['first note'] }))
    host.route('/', pds.app)
    host.post('/api/notes', async (c) => c.json({ saved: (await c.req.json()).text }, 201))

    // The host's own socket, served when Hearth declines an upgrade.
    const hostSockets = new WebSocketServer({ noServer: true })
    hostSockets.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo: ${m}`)))

    server = await new Promise((resolve) => {
      const s = serve({ fetch: host.fetch, port, hostname: '127.0.0.1' }, () => resolve(s))
    })
    server.on('upgrade', (req, socket, head) => {
      const hearth = pds.upgrade(req, socket, head)
      upgradeAnswers.push({ path: new URL(req.url ?? '/', url).pathname, hearth })
      if (hearth) return
      if (req.url === '/host/socket') hostSockets.handleUpgrade(req, socket, head, (ws) => hostSockets.emit('connection', ws, req))
      else socket.destroy()
    })
  })

  afterAll(async () => {
    await new Promise<void>((resolve) => {
      server?.close(() => resolve())
      ;(server as unknown as { closeAllConnections?: () => void })?.closeAllConnections?.()
    })
    await pds?.close()
    await plc?.close()
    fs.rmSync(dataDir, { recursive: true, force: true })
  })

  it("the host's routes answer, registered before and after Hearth", async () => {
    expect(await (await fetch(`${url}/`)).text()).toBe('the notes app')
    expect(await (await fetch(`${url}/api/notes`)).json()).toEqual({ notes: ['first note'] })
    const posted = await fetch(`${url}/api/notes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'second note' }),
    })
    expect(posted.status).toBe(201)
    expect(await posted.json()).toEqual({ saved: 'second note' })
  })

  it("Hearth's XRPC answers through the host: health, describeServer, an account and a record", async () => {
    const health = await fetch(`${url}/xrpc/_health`)
    expect(health.status).toBe(200)
    const agent = new AtpAgent({ service: url })
    const described = await agent.com.atproto.server.describeServer()
    expect(described.data.did).toBe(pds.info.serviceDid)
    await agent.createAccount({ handle: 'hosted.test', password: 'hosted-password', email: 'hosted@example.com' })
    const created = await agent.com.atproto.repo.createRecord({
      repo: agent.session!.did,
      collection: 'app.bsky.feed.post',
      record: { $type: 'app.bsky.feed.post', text: 'written through the host', createdAt: new Date().toISOString() },
    })
    const got = await new AtpAgent({ service: url }).com.atproto.repo.getRecord({
      repo: 'hosted.test',
      collection: 'app.bsky.feed.post',
      rkey: created.data.uri.split('/').pop()!,
    })
    expect(got.data.cid).toBe(created.data.cid)
  })

  it("an unknown XRPC method still gets Hearth's error shape", async () => {
    const res = await fetch(`${url}/xrpc/com.example.nothing`)
    expect(res.status).toBe(404)
    const body = await res.json()
    expect(body.error).toBe('MethodNotImplemented')
    expect(typeof body.message).toBe('string')
  })

  it("pds.upgrade declines the host's socket path, and the host serves it", async () => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/host/socket`)
    const reply = await new Promise<string>((resolve, reject) => {
      ws.once('open', () => ws.send('ping'))
      ws.once('message', (m) => resolve(String(m)))
      ws.once('error', reject)
    })
    ws.close()
    expect(reply).toBe('echo: ping')
    expect(upgradeAnswers).toContainEqual({ path: '/host/socket', hearth: false })
  })

  it("pds.upgrade takes Hearth's own firehose socket through the host's server", async () => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/xrpc/com.atproto.sync.subscribeRepos`)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    ws.close()
    expect(upgradeAnswers).toContainEqual({ path: '/xrpc/com.atproto.sync.subscribeRepos', hearth: true })
  })

  it('close() closes Hearth cleanly (its database too) and can be called twice', async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      ;(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
    })
    await pds.close()
    expect(pdsContext(pds).db.open).toBe(false)
    await pds.close()
  })
})

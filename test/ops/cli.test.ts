/**
 * Every hearth-cli command, end to end: a real Hearth (real PLC on loopback),
 * the CLI as its own process talking to the control socket, and the effects
 * checked through the public XRPC surface with @atproto/api.
 */
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readCarWithRoot, verifyRepoCar } from '@atproto/repo'
import { AtpAgent } from '@atproto/api'
import { startTestServer, type TestServer } from '../helpers/test-server.js'
import { runCli } from './cli-helper.js'

describe('hearth-cli against a running server', () => {
  let server: TestServer
  let socket: string
  let work: string
  let relay: http.Server
  const crawlRequests: unknown[] = []
  beforeAll(async () => {
    // A stand-in relay that records requestCrawl calls.
    relay = http.createServer((req, res) => {
      let body = ''
      req.on('data', (d) => (body += d))
      req.on('end', () => {
        if (req.url === '/xrpc/com.atproto.sync.requestCrawl') crawlRequests.push(JSON.parse(body))
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      })
    })
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r))
    const relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`
    server = await startTestServer({ env: { HEARTH_REGISTRATION: 'invite', HEARTH_CRAWLERS: relayUrl, HEARTH_CRAWL_INTERVAL_SEC: '1' } })
    socket = server.pds.controlSocket!
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-cli-'))
  })
  afterAll(async () => {
    await server.close({ removeData: true })
    relay.closeAllConnections()
    await new Promise((r) => relay.close(r))
    fs.rmSync(work, { recursive: true, force: true })
  })

  it('the socket is private to the server user and lists its routes', async () => {
    expect(socket).toBe(path.join(server.dataDir, 'control.sock'))
    expect(fs.statSync(socket).mode & 0o777).toBe(0o600)
    const res = await runCli(socket, ['routes'])
    expect(res.code).toBe(0)
    const routes = res.json.routes as { method: string; path: string; description: string }[]
    for (const r of routes) expect(r.description.length).toBeGreaterThan(5)
    const names = routes.map((r) => `${r.method} ${r.path}`)
    expect(names).toEqual(expect.arrayContaining(['GET /', 'POST /accounts', 'POST /ingest', 'POST /backup', 'GET /metrics', 'GET /status']))
  })

  it('status', async () => {
    const res = await runCli(socket, ['status'])
    expect(res.code).toBe(0)
    expect(res.json).toMatchObject({ service: 'hearth', publicUrl: server.url, registration: 'invite' })
    expect(res.json.databaseBytes).toBeGreaterThan(0)
  })

  it('invites create, list, disable; a code lets a client sign up', async () => {
    const created = await runCli(socket, ['invites', 'create', '--uses', '2', '--count', '2'])
    expect(created.code).toBe(0)
    const [code, spare] = created.json.codes as string[]
    const agent = server.agent()
    await agent.createAccount({ handle: 'invited.test', password: 'invited-password', inviteCode: code })
    expect(agent.session?.handle).toBe('invited.test')

    const disabled = await runCli(socket, ['invites', 'disable', spare])
    expect(disabled.code).toBe(0)
    const listed = await runCli(socket, ['invites', 'list'])
    const byCode = new Map((listed.json.codes as { code: string; uses: number; disabled: boolean }[]).map((c) => [c.code, c]))
    expect(byCode.get(code)).toMatchObject({ uses: 1, disabled: false })
    expect(byCode.get(spare)).toMatchObject({ uses: 0, disabled: true })
    await expect(
      server.agent().createAccount({ handle: 'refused.test', password: 'refused-password', inviteCode: spare }),
    ).rejects.toThrow(/invite/i)
  })

  it('accounts create (no invite needed), list, show, deactivate, activate, delete', async () => {
    const created = await runCli(socket, ['accounts', 'create', 'carol.test', '--email', 'carol@example.com', '--password', 'carol-password'])
    expect(created.code).toBe(0)
    const did = created.json.did as string
    expect(did).toMatch(/^did:plc:/)
    const agent = new AtpAgent({ service: server.url })
    await agent.login({ identifier: 'carol.test', password: 'carol-password' })
    await agent.com.atproto.repo.createRecord({
      repo: did,
      collection: 'app.bsky.feed.post',
      record: { $type: 'app.bsky.feed.post', text: 'before deletion', createdAt: new Date().toISOString() },
    })

    const listed = await runCli(socket, ['accounts', 'list'])
    expect((listed.json.accounts as { did: string }[]).map((a) => a.did)).toContain(did)
    const shown = await runCli(socket, ['accounts', 'show', 'carol.test'])
    expect(shown.json).toMatchObject({ did, handle: 'carol.test', status: 'active' })

    const deactivated = await runCli(socket, ['accounts', 'deactivate', did])
    expect(deactivated.json.status).toBe('deactivated')
    const status = await server.agent().com.atproto.sync.getRepoStatus({ did })
    expect(status.data).toMatchObject({ active: false, status: 'deactivated' })

    const activated = await runCli(socket, ['accounts', 'activate', 'carol@example.com'])
    expect(activated.json.status).toBe('active')
    expect((await server.agent().com.atproto.sync.getRepoStatus({ did })).data.active).toBe(true)

    const unconfirmed = await runCli(socket, ['accounts', 'delete', did])
    expect(unconfirmed.code).toBe(2)
    expect(unconfirmed.stderr).toMatch(/--yes/)
    const deleted = await runCli(socket, ['accounts', 'delete', did, '--yes'])
    expect(deleted.code).toBe(0)
    expect(deleted.json.status).toBe('deleted')
    await expect(server.agent().com.atproto.sync.getLatestCommit({ did })).rejects.toThrow()
    await expect(new AtpAgent({ service: server.url }).login({ identifier: 'carol.test', password: 'carol-password' })).rejects.toThrow()
    const gone = await runCli(socket, ['accounts', 'show', did])
    expect(gone.code).toBe(1)
    expect(gone.stderr).toMatch(/AccountNotFound/)
  })

  it('ingest a JSON array and an NDJSON file into a collection, in batches', async () => {
    const dave = await runCli(socket, ['accounts', 'create', 'dave.test'])
    const did = dave.json.did as string
    const items = Array.from({ length: 25 }, (_, i) => ({ title: `item ${i}`, n: i }))
    const jsonFile = path.join(work, 'items.json')
    fs.writeFileSync(jsonFile, JSON.stringify(items))
    const ndjsonFile = path.join(work, 'more.ndjson')
    fs.writeFileSync(ndjsonFile, items.map((it) => JSON.stringify({ ...it, title: `more ${it.n}` })).join('\n') + '\n\n')

    const first = await runCli(socket, ['ingest', 'dave.test', jsonFile, '--collection', 'com.example.item', '--batch', '10'])
    expect(first.code).toBe(0)
    expect(first.json).toMatchObject({ records: 25, commits: 3 })
    const second = await runCli(socket, ['ingest', did, ndjsonFile, '--collection', 'com.example.item', '--batch', '7'])
    expect(second.json).toMatchObject({ records: 25, commits: 4 })

    const listed = await server.agent().com.atproto.repo.listRecords({ repo: did, collection: 'com.example.item', limit: 100 })
    expect(listed.data.records).toHaveLength(50)
    const titles = listed.data.records.map((r) => (r.value as { title: string }).title).sort()
    expect(titles).toContain('item 24')
    expect(titles).toContain('more 0')
    expect(listed.data.records[0].value).toMatchObject({ $type: 'com.example.item' })

    // A bad object in a batch: that batch writes nothing, the ones before it stay.
    const bad = path.join(work, 'bad.ndjson')
    fs.writeFileSync(bad, ['{"ok":1}', '{"ok":2}', '[1,2]', '{"ok":4}'].join('\n'))
    const failed = await runCli(socket, ['ingest', did, bad, '--collection', 'com.example.other', '--batch', '2'])
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/records 3–4/)
    const other = await server.agent().com.atproto.repo.listRecords({ repo: did, collection: 'com.example.other' })
    expect(other.data.records).toHaveLength(2)
  })

  it('export writes a CAR that verifies against the DID document key', async () => {
    const made = await runCli(socket, ['accounts', 'create', 'erin.test', '--password', 'erin-password'])
    const agent = new AtpAgent({ service: server.url })
    await agent.login({ identifier: 'erin.test', password: 'erin-password' })
    const erin = { did: made.json.did as string, handle: 'erin.test', agent }
    for (let i = 0; i < 3; i++) {
      await erin.agent.com.atproto.repo.createRecord({
        repo: erin.did,
        collection: 'app.bsky.feed.post',
        record: { $type: 'app.bsky.feed.post', text: `post ${i}`, createdAt: new Date().toISOString() },
      })
    }
    const out = path.join(work, 'erin.car')
    const res = await runCli(socket, ['export', erin.handle, out])
    expect(res.code).toBe(0)
    expect(res.json).toMatchObject({ did: erin.did, file: out })
    const bytes = fs.readFileSync(out)
    const doc = await server.pds.ctx.idResolver.did.resolveAtprotoData(erin.did)
    const verified = await verifyRepoCar(bytes, erin.did, doc.signingKey)
    expect(verified.creates.filter((c) => c.collection === 'app.bsky.feed.post')).toHaveLength(3)
    const { root } = await readCarWithRoot(bytes)
    const head = await server.agent().com.atproto.sync.getLatestCommit({ did: erin.did })
    expect(root.toString()).toBe(head.data.cid)
  })

  it('backup writes a finished backup folder; restore refuses a non-empty data folder', async () => {
    const dest = path.join(work, 'backup-1')
    const res = await runCli(socket, ['backup', dest])
    expect(res.code).toBe(0)
    expect(res.json.lastSeq).toBeGreaterThan(0)
    expect(fs.existsSync(path.join(dest, 'backup.json'))).toBe(true)
    expect(fs.statSync(path.join(dest, 'hearth.sqlite')).mode & 0o777).toBe(0o600)
    const again = await runCli(socket, ['backup', dest])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/not empty/)
    const restoreOver = await runCli(socket, ['restore', dest, server.dataDir])
    expect(restoreOver.code).toBe(1)
    expect(restoreOver.stderr).toMatch(/not empty/)
  })

  it('metrics and crawl', async () => {
    const metrics = await runCli(socket, ['metrics'])
    expect(metrics.code).toBe(0)
    expect(metrics.stdout).toMatch(/^hearth_http_requests_total\{/m)
    // Start-up asked the relay once; `crawl` asks again (at once, or when the 1 s interval is up).
    await waitFor(() => crawlRequests.length >= 1)
    const before = crawlRequests.length
    const crawl = await runCli(socket, ['crawl'])
    expect(crawl.code, crawl.stderr).toBe(0)
    expect(crawl.json).toMatchObject({ requested: true, crawlers: [expect.stringMatching(/^http:\/\/127\.0\.0\.1:/)] })
    await waitFor(() => crawlRequests.length > before)
    expect(crawlRequests.at(-1)).toEqual({ hostname: new URL(server.url).host })
  })

  it('usage mistakes exit 2; a missing socket says so', async () => {
    expect((await runCli(socket, ['frobnicate'])).code).toBe(2)
    const none = await runCli(path.join(work, 'nothing.sock'), ['status'])
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(/No Hearth is listening/)
  })
})

async function waitFor(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}

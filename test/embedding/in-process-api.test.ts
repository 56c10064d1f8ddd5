/**
 * The host's typed face, call by call: options checked as the environment is
 * (a bad one named), the repository calls answering and refusing as XRPC
 * does (typed errors, nothing written), one write budget shared with XRPC,
 * scopes ingested and read back, events in seq order after commit (also as
 * an async iterator), and `ctx` kept off the public object.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ConfigError,
  createPds,
  InvalidRequest,
  InvalidSwap,
  RateLimitExceeded,
  RepoNotFound,
  HearthError,
  type CommitEvent,
  type PdsOptions,
  type Pds,
  type RecordPage,
} from '../../src/index.js'
import { startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'
import { eventually } from '../firehose/stream-reader.js'
import { pdsContext } from '../../src/embed/internals.js'

const POST = 'app.bsky.feed.post'
const page0 = (p: RecordPage) => p.records.map((r) => String(r.value.text))
const post = (text: string) => ({ $type: POST, text, createdAt: new Date().toISOString() })

describe('createPds options', () => {
  const refusal = async (options: unknown): Promise<ConfigError> => {
    try {
      await createPds(options as PdsOptions)
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      return err as ConfigError
    }
    throw new Error('accepted')
  }

  it('a bad option throws an error naming the option, before anything starts', async () => {
    expect((await refusal({ port: 'x' })).message).toMatch(/^port: expected a number/)
    expect((await refusal({ port: 70000 })).message).toMatch(/^port: must be between 0 and 65535/)
    expect((await refusal({ publicUrl: 'ftp://example.com' })).message).toMatch(/^publicUrl: must be an http\(s\) URL/)
    expect((await refusal({ publicUrl: 'https://example.com/notes' })).message).toMatch(/^publicUrl: must be an origin/)
    expect((await refusal({ registration: 'sometimes' })).message).toMatch(/^registration: expected one of open, invite, closed/)
    expect((await refusal({ handleDomain: 'example.com' })).message).toMatch(/^handleDomain: "example.com" must look like/)
    expect((await refusal({ github: { clientId: 'only-the-id' } })).message).toMatch(/^github.clientSecret: must be set/)
    expect((await refusal({ secrets: { jwtSecret: 'short' } })).message).toMatch(/^secrets.jwtSecret: must be at least 32/)
    expect((await refusal({ rateLimits: { writePointsPerHour: 0 } })).message).toMatch(/^rateLimits.writePointsPerHour: must be between/)
    expect((await refusal({ rateLimits: { writesPerHour: 5 } })).message).toMatch(/^rateLimits.writesPerHour: unknown option/)
    expect((await refusal({ dataDri: './data' })).message).toMatch(/^dataDri: unknown option/)
    expect((await refusal({ pages: { logoUrl: 'https://cdn.example/logo.png' } })).message).toMatch(/^pages.logoUrl:/)
    expect((await refusal({ pages: { cssVariables: { '--accent': 'red; } body { display: none' } } })).message).toMatch(/^pages.cssVariables\["--accent"\]/)
    expect((await refusal({ pages: { frontpage: false } })).message).toMatch(/^pages.frontpage: unknown option/)
    expect((await refusal({ controlSocket: true })).message).toMatch(/^controlSocket: expected a path or false/)
  })
})

describe('the in-process API', () => {
  let server: TestServer
  let alice: TestAccount
  const commits: CommitEvent[] = []

  beforeAll(async () => {
    // Limits on, and small: 10 write points an hour (a create costs 3).
    server = await startTestServer({ env: { HEARTH_RATE_LIMITS: 'on', HEARTH_RATE_WRITE_POINTS_HOUR: '10' } })
    alice = await server.createAccount('alice')
    server.pds.on('commit', (e) => void commits.push(e))
  })
  afterAll(() => server?.close({ removeData: true }))

  it('keeps the wiring off the public type (tsc checks the expect-error), reachable for tests', () => {
    const pds: Pds = server.pds
    // @ts-expect-error AppContext is not part of the public face
    void pds.ctx
    expect(pdsContext(pds)).toBe(server.pds.ctx)
  })

  it('writes, reads, swaps and deletes as XRPC does, and shares its write budget', async () => {
    const repo = server.pds.repo
    const created = await repo.createRecord(alice.did, { collection: POST, record: post('in-process') })
    expect(created).toMatchObject({ uri: expect.stringMatching(`^at://${alice.did}/${POST}/`), validationStatus: 'valid' })
    const rkey = created.uri.split('/').pop()!
    expect((await repo.getRecord(alice.handle, POST, rkey))?.cid).toBe(created.cid)
    expect(await repo.getRecord(alice.did, POST, '3zzzzzzzzzzzz')).toBeNull()

    // A wrong swap: InvalidSwap, nothing written.
    const seq = server.pds.ctx.eventLog.lastSeq()
    await expect(repo.putRecord(alice.did, { collection: POST, rkey, record: post('edited'), swapRecord: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm' })).rejects.toBeInstanceOf(InvalidSwap)
    await expect(repo.createRecord(alice.did, { collection: POST, rkey, record: post('again') })).rejects.toBeInstanceOf(InvalidRequest)
    await expect(repo.createRecord('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', { collection: POST, record: post('nobody') })).rejects.toBeInstanceOf(RepoNotFound)
    await expect(repo.createRecord(alice.did, { collection: 'not an nsid', record: post('x') })).rejects.toBeInstanceOf(HearthError)
    await expect(repo.listRecords(alice.did, POST, { limit: 1000 })).rejects.toBeInstanceOf(InvalidRequest)
    expect(server.pds.ctx.eventLog.lastSeq()).toBe(seq)

    expect(page0(await repo.listRecords(alice.did, POST))).toEqual(['in-process'])
    await repo.deleteRecord(alice.did, { collection: POST, rkey })
    expect(await repo.getRecord(alice.did, POST, rkey)).toBeNull()
  })

  it('charges the write budget XRPC charges: one budget, refused on both doors', async () => {
    // 10 points an hour; a create costs 3, a delete 1.
    const carol = await server.createAccount('carol')
    const repo = server.pds.repo
    await carol.agent.com.atproto.repo.createRecord({ repo: carol.did, collection: POST, record: post('over XRPC') })
    const second = await repo.createRecord(carol.did, { collection: POST, record: post('in-process') })
    await repo.createRecord(carol.did, { collection: POST, record: post('in-process too') })
    let refused: unknown
    try {
      await repo.createRecord(carol.did, { collection: POST, record: post('one too many') })
    } catch (err) {
      refused = err
    }
    expect(refused).toBeInstanceOf(RateLimitExceeded)
    expect((refused as RateLimitExceeded).limitName).toBe('writes-per-hour')
    const overXrpc = await fetch(`${server.url}/xrpc/com.atproto.repo.createRecord`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${carol.agent.session!.accessJwt}` },
      body: JSON.stringify({ repo: carol.did, collection: POST, record: post('one too many') }),
    })
    expect(overXrpc.status).toBe(429)
    // A delete costs 1: it still fits.
    await repo.deleteRecord(carol.did, { collection: POST, rkey: second.uri.split('/').pop()! })
    expect(page0(await repo.listRecords(carol.did, POST)).sort()).toEqual(['in-process too', 'over XRPC'])
  })

  it('hands the host every public commit in seq order, after commit, with the records decoded', async () => {
    await eventually(() => commits.some((c) => c.ops.some((o) => o.action === 'delete')), 'the delete to arrive')
    const seqs = commits.map((c) => c.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    const texts = commits.filter((c) => c.did === alice.did).flatMap((c) => c.ops.map((o) => `${o.action} ${o.record?.text ?? ''}`.trim()))
    expect(texts).toEqual(['create in-process', 'delete'])
    for (const c of commits) {
      // Delivered after the transaction: the head it names is already stored.
      expect(server.pds.ctx.eventLog.lastSeq()).toBeGreaterThanOrEqual(c.seq)
      expect(c.blocks.byteLength).toBeGreaterThan(0)
    }
  })

  it('tells the host about accounts and identities, and iterates events', async () => {
    const accounts: string[] = []
    const identities: string[] = []
    const created: string[] = []
    server.pds.on('account', (e) => void accounts.push(`${e.did} ${e.active}`))
    server.pds.on('identity', (e) => void identities.push(`${e.did} ${e.handle}`))
    server.pds.on('accountCreated', (e) => void created.push(`${e.did} ${e.handle}`))
    const iterator = server.pds.events('account')
    const bob = await server.pds.accounts.create({ handle: 'bob-host.test' })
    await eventually(() => created.length === 1 && accounts.length === 1 && identities.length === 1, 'the three events')
    expect(created).toEqual([`${bob.did} bob-host.test`])
    expect(accounts).toEqual([`${bob.did} true`])
    expect(identities).toEqual([`${bob.did} bob-host.test`])
    const first = await iterator.next()
    expect(first.value).toMatchObject({ did: bob.did, active: true })
    await iterator.return!()
    expect((await iterator.next()).done).toBe(true)
  })

  it('ingests into a scope and reads it back, never on the public repository', async () => {
    const dave = await server.createAccount('dave')
    await eventually(() => commits.some((c) => c.did === dave.did), 'the first commit of dave')
    const before = commits.length
    const result = await server.pds.scopes.ingest(dave.did, 'notes.drafts', [{ text: 'private one' }, { text: 'private two' }])
    expect(result.records).toHaveLength(2)
    const { records } = await server.pds.scopes.listRecords(dave.did, 'notes.drafts')
    expect(records.map((r) => r.value.data.text).sort()).toEqual(['private one', 'private two'])
    expect(records[0].value).toMatchObject({ $type: 'dev.hearth.scope.record', scope: 'notes.drafts' })
    await expect(server.pds.scopes.ingest(dave.did, 'Not A Scope', { a: 1 })).rejects.toMatchObject({ error: 'InvalidScope' })
    await expect(server.pds.scopes.ingest(dave.did, 'notes.drafts', { a: 1.5 })).rejects.toMatchObject({ error: 'InvalidRecord' })
    await new Promise((r) => setTimeout(r, 200))
    expect(commits.length).toBe(before)
  })
})

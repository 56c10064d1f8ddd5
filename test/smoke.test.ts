import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from './helpers/test-server.js'

describe('a fresh server', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer()
  })
  afterAll(() => server.close({ removeData: true }))

  it('creates an account, writes and reads a record', async () => {
    const alice = await server.createAccount('alice')
    const created = await alice.agent.com.atproto.repo.createRecord({
      repo: alice.did,
      collection: 'app.bsky.feed.post',
      record: { $type: 'app.bsky.feed.post', text: 'hello', createdAt: new Date().toISOString() },
    })
    expect(created.data.validationStatus).toBe('valid')
    const got = await server.agent().com.atproto.repo.getRecord({
      repo: alice.handle,
      collection: 'app.bsky.feed.post',
      rkey: created.data.uri.split('/').pop()!,
    })
    expect(got.data.value).toMatchObject({ text: 'hello' })
    expect(got.data.cid).toBe(created.data.cid)
  })
})

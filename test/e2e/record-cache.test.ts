/**
 * getRecord answers from a cache of serialised records (src/repo/record-json-cache.ts):
 * every way a record changes or goes away must show at once in the next read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MST } from '@atproto/repo'
import { startTestServer, type TestServer, type TestAccount } from '../helpers/test-server.js'
import { loadedNodes } from '../../src/repo/mst-trim.js'

let server: TestServer
let alice: TestAccount
const collection = 'com.example.note'
const post = (text: string) => ({ $type: collection, text, createdAt: new Date().toISOString() })

beforeAll(async () => {
  server = await startTestServer()
  alice = await server.createAccount('alice')
})
afterAll(async () => server.close({ removeData: true }))

async function read(rkey: string) {
  const res = await fetch(`${server.url}/xrpc/com.atproto.repo.getRecord?repo=${alice.did}&collection=${collection}&rkey=${rkey}`)
  return { status: res.status, body: (await res.json()) as any }
}

describe('getRecord after changes', () => {
  it('shows an update, then the delete, of a record read before', async () => {
    await alice.agent.com.atproto.repo.putRecord({ repo: alice.did, collection, rkey: 'r1', record: post('first') })
    expect((await read('r1')).body.value.text).toBe('first')
    expect((await read('r1')).body.value.text).toBe('first')
    const put = await alice.agent.com.atproto.repo.putRecord({ repo: alice.did, collection, rkey: 'r1', record: post('second') })
    const after = await read('r1')
    expect(after.body.value.text).toBe('second')
    expect(after.body.cid).toBe(put.data.cid)
    await alice.agent.com.atproto.repo.deleteRecord({ repo: alice.did, collection, rkey: 'r1' })
    expect(await read('r1')).toMatchObject({ status: 400, body: { error: 'RecordNotFound' } })
  })

  it('a cid that is not the current one is not found, the current one is', async () => {
    const first = await alice.agent.com.atproto.repo.putRecord({ repo: alice.did, collection, rkey: 'r2', record: post('a') })
    await read('r2')
    const second = await alice.agent.com.atproto.repo.putRecord({ repo: alice.did, collection, rkey: 'r2', record: post('b') })
    const byOld = await fetch(`${server.url}/xrpc/com.atproto.repo.getRecord?repo=${alice.did}&collection=${collection}&rkey=r2&cid=${first.data.cid}`)
    expect(byOld.status).toBe(400)
    const byNew = await fetch(`${server.url}/xrpc/com.atproto.repo.getRecord?repo=${alice.did}&collection=${collection}&rkey=r2&cid=${second.data.cid}`)
    expect(((await byNew.json()) as any).value.text).toBe('b')
  })

  it('applyWrites changes show too', async () => {
    await alice.agent.com.atproto.repo.putRecord({ repo: alice.did, collection, rkey: 'r3', record: post('one') })
    await read('r3')
    await alice.agent.com.atproto.repo.applyWrites({
      repo: alice.did,
      writes: [{ $type: 'com.atproto.repo.applyWrites#update', collection, rkey: 'r3', value: post('two') }],
    })
    expect((await read('r3')).body.value.text).toBe('two')
  })

  it('a deleted account serves none of its cached records', async () => {
    const bob = await server.createAccount('bob')
    await bob.agent.com.atproto.repo.putRecord({ repo: bob.did, collection, rkey: 'b1', record: post('bob') })
    const url = `${server.url}/xrpc/com.atproto.repo.getRecord?repo=${bob.did}&collection=${collection}&rkey=b1`
    expect((await fetch(url)).status).toBe(200)
    await bob.agent.com.atproto.server.deleteSession().catch(() => {})
    // The operator's delete goes around the record index (one DELETE per table).
    const { AccountRemoval } = await import('../../src/ops/account-removal.js')
    const ctx = (server.pds as any).ctx
    await new AccountRemoval(ctx).remove(bob.did)
    expect((await fetch(url)).status).toBeGreaterThanOrEqual(400)
  })
})

describe('the cached head of a repository', () => {
  it('keeps only the path of the last write loaded, so it does not grow with the repository', async () => {
    for (let i = 0; i < 3; i++) {
      await alice.agent.com.atproto.repo.applyWrites({
        repo: alice.did,
        writes: Array.from({ length: 50 }, () => ({ $type: 'com.atproto.repo.applyWrites#create' as const, collection, value: post('bulk') })),
      })
    }
    const res = await alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection, record: post('after') })
    const heads = (server.pds as any).ctx.committer.heads as Map<string, { data: MST }>
    const head = [...heads.entries()].find(([key]) => key.includes(alice.did))?.[1]
    expect(head).toBeDefined()
    // One node per layer on the path to the record just written; the rest of the tree stays in SQLite.
    const loaded = loadedNodes(head!.data)
    expect(loaded).toBeGreaterThanOrEqual(1)
    expect(loaded).toBeLessThanOrEqual((await head!.data.getLayer()) + 1)
    // And the repository still reads and writes as before.
    expect((await read(res.data.uri.split('/').pop()!)).body.value.text).toBe('after')
    const next = await alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection, record: post('next') })
    expect((await read(next.data.uri.split('/').pop()!)).body.value.text).toBe('next')
  })

  it('after a batch spread over the tree, keeps the paths of its last few writes only', async () => {
    // Each new key sorts just after an existing record's, so the batch touches paths all over the tree.
    const existing = await alice.agent.com.atproto.repo.listRecords({ repo: alice.did, collection, limit: 100 })
    const spread = existing.data.records.map((r) => `${r.uri.split('/').pop()}x`)
    expect(spread.length).toBe(100)
    await alice.agent.com.atproto.repo.applyWrites({
      repo: alice.did,
      writes: spread.map((rkey) => ({ $type: 'com.atproto.repo.applyWrites#create' as const, collection, rkey, value: post(rkey) })),
    })
    const heads = (server.pds as any).ctx.committer.heads as Map<string, { data: MST }>
    const head = [...heads.entries()].find(([key]) => key.includes(alice.did))![1]
    // At most 8 paths (src/repo/commit-builder.ts), whatever the batch's size.
    expect(loadedNodes(head.data)).toBeLessThanOrEqual(8 * ((await head.data.getLayer()) + 1))
    for (const rkey of [spread[0], spread[50], spread[spread.length - 1]]) expect((await read(rkey)).body.value.text).toBe(rkey)
  })
})

describe('listRecords through the same cache', () => {
  const list = async (query: string) => {
    const res = await fetch(`${server.url}/xrpc/com.atproto.repo.listRecords?repo=${alice.did}&collection=${collection}&${query}`)
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() }
  }

  it('answers the same bytes read cold and warm, each item being the getRecord answer', async () => {
    const carol = await server.createAccount('carol')
    for (let i = 0; i < 7; i++) {
      await carol.agent.com.atproto.repo.putRecord({ repo: carol.did, collection, rkey: `c${i}`, record: { ...post(`note ${i} "quoted" ✓`), n: i } })
    }
    const url = `${server.url}/xrpc/com.atproto.repo.listRecords?repo=${carol.did}&collection=${collection}&limit=3`
    const cold = await (await fetch(url)).text()
    const warm = await fetch(url)
    expect(warm.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await warm.text()).toBe(cold)
    const page = JSON.parse(cold)
    expect(page.records.map((r: any) => r.uri.split('/').pop())).toEqual(['c6', 'c5', 'c4'])
    expect(page.cursor).toBe('c4')
    for (const item of page.records) {
      const one = await fetch(`${server.url}/xrpc/com.atproto.repo.getRecord?repo=${carol.did}&collection=${collection}&rkey=${item.uri.split('/').pop()}`)
      expect(JSON.stringify(item)).toBe(await one.text())
    }
    // The last page has no cursor; reverse pages from the oldest.
    const last = JSON.parse(await (await fetch(`${url}&cursor=c1`)).text())
    expect(last).toEqual({ records: [expect.objectContaining({ value: expect.objectContaining({ n: 0 }) })] })
    const reversed = JSON.parse(await (await fetch(`${url}&reverse=true`)).text())
    expect(reversed.records.map((r: any) => r.value.n)).toEqual([0, 1, 2])
  })

  it('shows an update and a delete of a record listed before', async () => {
    await alice.agent.com.atproto.repo.putRecord({ repo: alice.did, collection, rkey: 'zz1', record: post('listed') })
    expect(JSON.parse((await list('limit=1')).text).records[0].value.text).toBe('listed')
    const put = await alice.agent.com.atproto.repo.putRecord({ repo: alice.did, collection, rkey: 'zz1', record: post('relisted') })
    const after = JSON.parse((await list('limit=1')).text).records[0]
    expect(after).toMatchObject({ cid: put.data.cid, value: { text: 'relisted' } })
    expect((await read('zz1')).body.value.text).toBe('relisted')
    await alice.agent.com.atproto.repo.deleteRecord({ repo: alice.did, collection, rkey: 'zz1' })
    expect(JSON.parse((await list('limit=1')).text).records[0].uri).not.toContain('/zz1')
  })
})

import { describe, expect, it } from 'vitest'
import { RecordJsonCache } from './record-json-cache.js'

const did = 'did:plc:alice'
const other = 'did:plc:bob'

describe('RecordJsonCache', () => {
  it('serves what was set until the repository is touched', () => {
    const cache = new RecordJsonCache(1 << 20)
    cache.set(did, 'app.bsky.feed.post', 'a', 'cid1', '{"v":1}')
    expect(cache.get(did, 'app.bsky.feed.post', 'a')).toMatchObject({ cid: 'cid1', json: '{"v":1}' })
    cache.touch(did)
    expect(cache.get(did, 'app.bsky.feed.post', 'a')).toBeNull()
  })

  it('a touch of one repository leaves the others cached', () => {
    const cache = new RecordJsonCache(1 << 20)
    cache.set(did, 'c.x', 'a', 'cid1', '{}')
    cache.set(other, 'c.x', 'a', 'cid2', '{}')
    cache.touch(did)
    expect(cache.get(did, 'c.x', 'a')).toBeNull()
    expect(cache.get(other, 'c.x', 'a')?.cid).toBe('cid2')
  })

  it('an entry read before a touch and stored after it is still stale', () => {
    // A reader that looked the record up, then a write, then the reader stores what it read.
    const cache = new RecordJsonCache(1 << 20)
    cache.touch(did)
    cache.set(did, 'c.x', 'a', 'old', '{}')
    cache.touch(did)
    expect(cache.get(did, 'c.x', 'a')).toBeNull()
  })

  it('stays within its byte budget, dropping the least recently used first', () => {
    const cache = new RecordJsonCache(64 * 1024)
    const body = 'x'.repeat(1000)
    for (let i = 0; i < 100; i++) cache.set(did, 'c.x', `k${i}`, `cid${i}`, body)
    expect(cache.size.bytes).toBeLessThanOrEqual(64 * 1024)
    expect(cache.get(did, 'c.x', 'k0')).toBeNull()
    expect(cache.get(did, 'c.x', 'k99')?.cid).toBe('cid99')
  })

  it('a budget of 0 turns it off', () => {
    const cache = new RecordJsonCache(0)
    cache.set(did, 'c.x', 'a', 'cid', '{}')
    expect(cache.get(did, 'c.x', 'a')).toBeNull()
  })
})

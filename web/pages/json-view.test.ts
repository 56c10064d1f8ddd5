import { describe, expect, it } from 'vitest'
import { blobsIn, browserLink } from './json-view.js'

describe('browserLink', () => {
  const did = 'did:plc:abcdefghijklmnopqrstuvwx'
  it('links the owner’s own records inside the browser', () => {
    expect(browserLink(`at://${did}/app.bsky.feed.post/3k2abc`, did)).toBe('/account/data/app.bsky.feed.post/3k2abc')
  })
  it('leaves other accounts’ records, collections and odd strings alone', () => {
    expect(browserLink('at://did:plc:someoneelse/app.bsky.feed.post/3k2abc', did)).toBeNull()
    expect(browserLink(`at://${did}/app.bsky.feed.post`, did)).toBeNull()
    expect(browserLink(`at://${did}/app.bsky.feed.post/a/b`, did)).toBeNull()
    expect(browserLink('https://example.com/', did)).toBeNull()
  })
})

describe('blobsIn', () => {
  it('finds every blob once, however deep', () => {
    const blob = (cid: string) => ({ $type: 'blob', ref: { $link: cid }, mimeType: 'image/png', size: 3 })
    const value = { a: blob('bafy1'), b: [{ c: blob('bafy2') }, { d: blob('bafy1') }], e: { $link: 'bafy3' } }
    expect(blobsIn(value).map((b) => b.cid)).toEqual(['bafy1', 'bafy2'])
  })
})

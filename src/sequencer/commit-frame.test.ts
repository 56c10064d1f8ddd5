/**
 * The #commit frame writer against the generic path (lex-cbor's header and
 * body, concatenated) byte for byte, over bodies of every optional part and
 * field length; and what it hands back to lex-cbor.
 */
import { describe, expect, it } from 'vitest'
import { parseCid } from '@atproto/lex-data'
import { decodeAll } from '@atproto/lex-cbor'
import { encodeCommitFrame, type CommitFrameBody } from './commit-frame.js'
import { encodeFrame } from './event-log.js'

const cids = [
  'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm',
  'bafyreidvaap6dokdbhz73z4cjdh7qhfwqshzgrourac22mx5g743ats3qi',
  'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku',
].map(parseCid)
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

function body(over: Partial<CommitFrameBody> = {}): CommitFrameBody {
  return {
    seq: 42,
    rebase: false,
    tooBig: false,
    repo: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz',
    commit: cids[0],
    rev: '3kabcabcabc22',
    since: '3kabcabcabb22',
    blocks: new Uint8Array(300).map((_, i) => i * 13),
    ops: [{ action: 'create', path: 'app.bsky.feed.post/3kabcabcabc22', cid: cids[1] }],
    blobs: [],
    time: '2026-12-02T06:50:17.123Z',
    ...over,
  }
}

/** The frame as the event log wrote every frame before: lex-cbor's header, then its body. */
const generic = (b: CommitFrameBody) => encodeFrame('#commit', b)

describe('encodeCommitFrame', () => {
  it('gives the generic encoder’s bytes for every kind of commit body', () => {
    const ops: CommitFrameBody['ops'][] = [
      [],
      [{ action: 'create', path: 'app.bsky.feed.post/3kabcabcabc22', cid: cids[1] }],
      [
        { action: 'update', path: 'app.bsky.actor.profile/self', cid: cids[1], prev: cids[2] },
        { action: 'delete', path: 'app.bsky.feed.like/3kabcabcabc23', cid: null, prev: cids[0] },
        { action: 'delete', path: 'a.b.c/x', cid: null },
      ],
      Array.from({ length: 30 }, (_, i) => ({ action: 'create', path: `app.bsky.feed.post/${'k'.repeat(i + 1)}`, cid: cids[i % 3] })),
    ]
    const variants: Partial<CommitFrameBody>[] = [
      {},
      { since: null },
      { prevData: cids[2] },
      { rebase: true },
      { tooBig: true },
      { seq: 0 },
      { seq: 23 },
      { seq: 24 },
      { seq: 255 },
      { seq: 256 },
      { seq: 65_536 },
      { seq: 2 ** 32 - 1 },
      { blocks: new Uint8Array(0) },
      { blocks: new Uint8Array(23) },
      { blocks: new Uint8Array(70_000).fill(7) },
      { blobs: [cids[2], cids[1]] },
      { repo: `did:web:${'a'.repeat(300)}.example`, rev: 'x', time: 't' },
    ]
    let checked = 0
    for (const o of ops) {
      for (const v of variants) {
        const b = body({ ops: o, ...v })
        const frame = encodeCommitFrame(b)
        expect(frame, JSON.stringify(v)).not.toBeNull()
        expect(hex(frame!), JSON.stringify(v)).toBe(hex(generic(b)))
        checked++
      }
    }
    expect(checked).toBe(ops.length * variants.length)
    // And it reads back as a frame: header, then the body.
    const [header, decoded] = [...decodeAll(encodeCommitFrame(body({ prevData: cids[2] }))!)] as Record<string, unknown>[]
    expect(header).toEqual({ op: 1, t: '#commit' })
    expect(decoded.seq).toBe(42)
    expect(String(decoded.prevData)).toBe(cids[2].toString())
  })

  it('hands back what it does not write: non-ASCII text, a seq past 2^32', () => {
    const odd: Partial<CommitFrameBody>[] = [
      { seq: 2 ** 32 },
      { repo: 'did:web:é.example' },
      { since: 'ré' },
      { ops: [{ action: 'create', path: 'app.bsky.feed.post/é', cid: cids[1] }] },
    ]
    for (const v of odd) expect(encodeCommitFrame(body(v)), JSON.stringify(v)).toBeNull()
  })
})

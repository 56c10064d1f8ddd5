/**
 * The few DAG-CBOR pieces the repository's fixed-shape objects are made of
 * (src/repo/mst-node-cbor.ts, src/repo/commit-cbor.ts): each encoder sizes
 * its object first with these lengths, then writes it in one pass into a
 * buffer of exactly that size.
 *
 * Why by hand: @atproto/lex-cbor encodes any value through a token list
 * (value → tokens → bytes), which for an MST node took ~0.09 ms; these
 * objects never change shape, so their bytes can be written directly. The
 * encoders' tests compare every byte with lex-cbor's.
 *
 * @example
 * const w = new CborWriter(headLen(3) + 3); w.text('did')
 */
import type { Cid } from '@atproto/lex-data'

const MAJOR_UINT = 0
const MAJOR_BYTES = 2
const MAJOR_TEXT = 3
const MAJOR_ARRAY = 4
const MAJOR_MAP = 5
const CBOR_NULL = 0xf6
const CBOR_FALSE = 0xf4
const CBOR_TRUE = 0xf5

/** Bytes a CBOR head takes for argument `n` (n < 2^32). */
export const headLen = (n: number) => (n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5)
/** Tag 42 (2 bytes), then a byte string of a 0x00 prefix and the CID's bytes; null is one byte. */
export const cidLen = (cid: Cid | null) => (cid ? 2 + headLen(cid.bytes.length + 1) + 1 + cid.bytes.length : 1)
/** A text string of ASCII (one byte per character; the caller checks). */
export const asciiLen = (s: string) => headLen(s.length) + s.length
export const bytesLen = (b: Uint8Array) => headLen(b.length) + b.length
export const fitsHead = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < 2 ** 32
/** Only plain ASCII strings take the direct path: their UTF-8 is their char codes. */
export const isAscii = (s: unknown): s is string => typeof s === 'string' && /^[\x00-\x7f]*$/.test(s)

export class CborWriter {
  readonly out: Uint8Array
  private at = 0

  constructor(readonly size: number) {
    this.out = new Uint8Array(size)
  }

  private head(major: number, n: number): void {
    const out = this.out
    const m = major << 5
    if (n < 24) out[this.at++] = m | n
    else if (n < 0x100) {
      out[this.at++] = m | 24
      out[this.at++] = n
    } else if (n < 0x10000) {
      out[this.at++] = m | 25
      out[this.at++] = n >> 8
      out[this.at++] = n & 0xff
    } else {
      out[this.at++] = m | 26
      out[this.at++] = (n >>> 24) & 0xff
      out[this.at++] = (n >> 16) & 0xff
      out[this.at++] = (n >> 8) & 0xff
      out[this.at++] = n & 0xff
    }
  }

  map(entries: number): void {
    this.head(MAJOR_MAP, entries)
  }

  array(items: number): void {
    this.head(MAJOR_ARRAY, items)
  }

  uint(n: number): void {
    this.head(MAJOR_UINT, n)
  }

  /** ASCII text (map keys, DIDs, revs). */
  text(s: string): void {
    this.head(MAJOR_TEXT, s.length)
    for (let i = 0; i < s.length; i++) this.out[this.at++] = s.charCodeAt(i)
  }

  bytes(b: Uint8Array): void {
    this.head(MAJOR_BYTES, b.length)
    this.out.set(b, this.at)
    this.at += b.length
  }

  /** Bytes already encoded (a frame's header), copied as they are. */
  raw(b: Uint8Array): void {
    this.out.set(b, this.at)
    this.at += b.length
  }

  bool(b: boolean): void {
    this.out[this.at++] = b ? CBOR_TRUE : CBOR_FALSE
  }

  nil(): void {
    this.out[this.at++] = CBOR_NULL
  }

  cid(c: Cid | null): void {
    if (!c) {
      this.out[this.at++] = CBOR_NULL
      return
    }
    this.out[this.at++] = 0xd8 // tag, one-byte argument
    this.out[this.at++] = 42 // CID
    this.head(MAJOR_BYTES, c.bytes.length + 1)
    this.out[this.at++] = 0 // the multibase "identity" prefix DAG-CBOR puts before a binary CID
    this.out.set(c.bytes, this.at)
    this.at += c.bytes.length
  }

  /** The bytes, once exactly `size` of them are written. */
  done(): Uint8Array {
    if (this.at !== this.size) throw new Error(`CBOR writer wrote ${this.at} of ${this.size} bytes`)
    return this.out
  }
}

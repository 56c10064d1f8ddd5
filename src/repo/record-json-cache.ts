/**
 * The serialised `getRecord` answer of recently read public records, so a
 * hot record is served without a SQLite lookup, a CBOR decode and a JSON
 * encode (together ~20% of a getRecord's CPU, measured).
 *
 * Staleness is ruled out by generations rather than by finding every place
 * that may change a record: each repository has a generation, raised by
 * every record write or delete (RecordIndex calls `touch`) and when a
 * repository is dropped (`touch` from the committer's `forget`). An entry
 * remembers the generation it was read at and is ignored once it moved on.
 * A repository whose generation was evicted gets a fresh one, above every
 * earlier value, so an old entry can never match by accident.
 *
 * Bounded by bytes: least recently used entries go first.
 *
 * @example
 * const cache = new RecordJsonCache(16 * 1024 * 1024)
 * const hit = cache.get(did, collection, rkey)
 * if (!hit) cache.set(did, collection, rkey, cid, JSON.stringify(view))
 */
export interface CachedRecordJson {
  cid: string
  /** The whole getRecord answer: `{"uri","cid","value"}`. */
  json: string
}

interface Entry extends CachedRecordJson {
  generation: number
  bytes: number
}

/** Repositories whose generation is remembered; past this the oldest are forgotten (and so invalidated). */
const MAX_REPOS = 100_000

export class RecordJsonCache {
  private entries = new Map<string, Entry>()
  private generations = new Map<string, number>()
  private counter = 0
  private bytes = 0

  constructor(private maxBytes: number) {}

  get(did: string, collection: string, rkey: string): CachedRecordJson | null {
    if (this.maxBytes <= 0) return null
    const key = `${did} ${collection} ${rkey}`
    const entry = this.entries.get(key)
    if (!entry) return null
    if (entry.generation !== this.generations.get(did)) {
      this.drop(key, entry)
      return null
    }
    // Most recently used last, so eviction takes the oldest first.
    this.entries.delete(key)
    this.entries.set(key, entry)
    return entry
  }

  set(did: string, collection: string, rkey: string, cid: string, json: string): void {
    if (this.maxBytes <= 0) return
    const bytes = json.length * 2 + did.length + collection.length + rkey.length + 64
    if (bytes > this.maxBytes / 16) return
    const key = `${did} ${collection} ${rkey}`
    const old = this.entries.get(key)
    if (old) this.drop(key, old)
    this.entries.set(key, { cid, json, generation: this.generationOf(did), bytes })
    this.bytes += bytes
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break
      this.drop(k, e)
    }
  }

  /** Something in this repository changed: every entry of it is stale. */
  touch(did: string): void {
    this.generations.delete(did)
    this.generations.set(did, ++this.counter)
    if (this.generations.size > MAX_REPOS) {
      const oldest = this.generations.keys().next().value
      if (oldest !== undefined) this.generations.delete(oldest)
    }
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes }
  }

  private generationOf(did: string): number {
    const g = this.generations.get(did)
    if (g !== undefined) return g
    this.touch(did)
    return this.counter
  }

  private drop(key: string, entry: Entry): void {
    this.entries.delete(key)
    this.bytes -= entry.bytes
  }
}

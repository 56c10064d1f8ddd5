/**
 * The handle an app's DID document claims, to show beside (or instead of)
 * its DID on the pages. Not verified, so only ever a hint; looked up once per
 * DID and kept for an hour (a page lists the same few apps again and again).
 *
 * @example
 * const names = appNames(ctx.idResolver)
 * await names.handle('did:plc:…') // 'notes.example.com' | undefined
 */
import type { IdResolver } from '@atproto/identity'

const KEEP_MS = 3600_000
const MAX_KEPT = 1000

export interface AppNames {
  handle(did: string): Promise<string | undefined>
  /** Handles for several DIDs at once, as a Map. */
  handles(dids: Iterable<string>): Promise<Map<string, string>>
}

export function appNames(idResolver: IdResolver): AppNames {
  const kept = new Map<string, { handle: string | undefined; at: number }>()
  const names: AppNames = {
    async handle(did) {
      const hit = kept.get(did)
      if (hit && Date.now() - hit.at < KEEP_MS) return hit.handle
      let handle: string | undefined
      try {
        const doc = await idResolver.did.resolve(did)
        const aka = doc?.alsoKnownAs?.find((a) => a.startsWith('at://'))
        handle = aka ? aka.slice('at://'.length) : undefined
      } catch {
        handle = undefined
      }
      if (kept.size >= MAX_KEPT) kept.delete(kept.keys().next().value!)
      kept.set(did, { handle, at: Date.now() })
      return handle
    },
    async handles(dids) {
      const unique = [...new Set(dids)]
      const found = await Promise.all(unique.map((d) => names.handle(d)))
      const map = new Map<string, string>()
      unique.forEach((d, i) => found[i] && map.set(d, found[i]!))
      return map
    },
  }
  return names
}

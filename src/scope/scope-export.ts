/**
 * A person's scopes as one ZIP of JSON files, for them to keep: one file per
 * scope (`<scope>.json`, its records newest first with their keys and CIDs)
 * and a `README.txt` saying what the files are. Built with fflate.
 *
 * @example
 * const zip = exportScopesZip(ctx.scopes.catalog, ctx.repoReader, did)
 */
import { strToU8, zipSync, type Zippable } from 'fflate'
import type { ScopeCatalog } from './scope-catalog.js'
import type { RepoReader } from '../repo/repo-reader.js'

const PAGE = 500

export function exportScopesZip(catalog: ScopeCatalog, reader: RepoReader, did: string, now = new Date()): Uint8Array {
  const files: Zippable = {}
  const scopes = catalog.list(did)
  for (const { scope } of scopes) {
    const records: { rkey: string; cid: string; value: unknown }[] = []
    let cursor: string | undefined
    do {
      const page = reader.listRecords(did, scope, { limit: PAGE, cursor }, scope)
      for (const r of page.records) records.push({ rkey: r.uri.slice(r.uri.lastIndexOf('/') + 1), cid: r.cid, value: r.value })
      cursor = page.cursor
    } while (cursor)
    files[`${scope}.json`] = strToU8(JSON.stringify({ did, scope, exportedAt: now.toISOString(), records }, null, 2))
  }
  files['README.txt'] = strToU8(
    `Scopes of ${did}, exported ${now.toISOString()}.\n` +
      `One JSON file per scope: its records, newest first, each with its record key, CID and value ` +
      `({ $type: 'dev.hearth.scope.record', scope, collectedAt, data }).\n`,
  )
  return zipSync(files, { level: 6, mtime: now })
}

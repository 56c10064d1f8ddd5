/**
 * A record's JSON as a tree the person can read: keys marked (data-key, for
 * the key search in pages.js), long objects and arrays folded (details),
 * images the record references shown, other blobs linked, and AT-URIs of the
 * person's own records turned into links inside the data browser.
 */
import type { Child, FC } from 'hono/jsx'
import { pagePath } from '../branding.js'

export interface JsonViewOptions {
  /** The owner's DID: their at:// links stay inside the browser. */
  did: string
  /** Where a blob of this record can be fetched, or null when it cannot be shown here (scope blobs). */
  blobUrl: (cid: string) => string | null
}

/** Objects and arrays with more entries than this, or deeper than FOLD_DEPTH, start folded. */
const FOLD_ENTRIES = 8
const FOLD_DEPTH = 2
const LONG_STRING = 400

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

/** The browser page of one of the person's own public records, for an at:// URI, or null. */
export function browserLink(uri: string, did: string): string | null {
  const m = /^at:\/\/([^/]+)\/([a-zA-Z0-9.-]+)\/([A-Za-z0-9._:~-]{1,512})$/.exec(uri)
  if (!m || m[1] !== did) return null
  return `/account/data/${m[2]}/${encodeURIComponent(m[3])}`
}

const isBlob = (v: Json): v is { $type: 'blob'; ref: { $link: string }; mimeType: string; size: number } =>
  !!v && typeof v === 'object' && !Array.isArray(v) && v.$type === 'blob' && typeof (v.ref as { $link?: unknown } | null)?.$link === 'string'

const Scalar: FC<{ value: Json; o: JsonViewOptions }> = ({ value, o }) => {
  if (typeof value === 'string') {
    const found = browserLink(value, o.did)
    const link = found && pagePath(found)
    if (link) return <a href={link} class="s" data-record-link>{JSON.stringify(value)}</a>
    const shown = value.length > LONG_STRING ? `${value.slice(0, LONG_STRING)}…` : value
    return <span class="s">{JSON.stringify(shown)}</span>
  }
  return <span class="n">{JSON.stringify(value)}</span>
}

const Blob: FC<{ value: { ref: { $link: string }; mimeType: string; size: number }; o: JsonViewOptions }> = ({ value, o }) => {
  const cid = value.ref.$link
  const url = o.blobUrl(cid)
  const label = `${value.mimeType}, ${Number(value.size).toLocaleString('en')} bytes`
  if (!url) return <span class="muted">blob {cid} ({label})</span>
  return (
    <span data-blob={cid}>
      {value.mimeType.startsWith('image/') ? <img src={url} alt={`Image in this record (${label})`} loading="lazy" /> : null}
      <a href={url}>blob {cid.slice(0, 16)}…</a> <span class="muted">({label})</span>
    </span>
  )
}

const Entry: FC<{ name: string; value: Json; depth: number; o: JsonViewOptions }> = ({ name, value, depth, o }) => {
  const key = <span class="k">{name}</span>
  if (value !== null && typeof value === 'object' && !isBlob(value)) {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value)
    const open = depth < FOLD_DEPTH && entries.length <= FOLD_ENTRIES
    const summary = Array.isArray(value) ? `[${entries.length === 1 ? '1 item' : `${entries.length} items`}]` : `{${entries.length === 1 ? '1 key' : `${entries.length} keys`}}`
    return (
      <details open={open} data-key={name}>
        <summary>
          {key}: <span class="muted">{summary}</span>
        </summary>
        {entries.map(([k, v]) => (
          <Entry name={k} value={v} depth={depth + 1} o={o} />
        ))}
      </details>
    )
  }
  return (
    <div class="row" data-key={name}>
      {key}: {isBlob(value) ? <Blob value={value} o={o} /> : <Scalar value={value} o={o} />}
    </div>
  )
}

export const JsonView: FC<{ value: unknown; options: JsonViewOptions; label?: string }> = ({ value, options, label }) => {
  const v = value as Json
  let body: Child
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && !isBlob(v)) {
    body = Object.entries(v).map(([k, x]) => <Entry name={k} value={x} depth={0} o={options} />)
  } else {
    body = <Entry name={label ?? 'value'} value={v} depth={0} o={options} />
  }
  return (
    <div class="json" data-field="json">
      {body}
    </div>
  )
}

/** Every blob a record references, in order (for the list of its images and files). */
export function blobsIn(value: unknown, found: { cid: string; mimeType: string; size: number }[] = []): { cid: string; mimeType: string; size: number }[] {
  const v = value as Json
  if (v === null || typeof v !== 'object') return found
  if (isBlob(v)) {
    if (!found.some((b) => b.cid === v.ref.$link)) found.push({ cid: v.ref.$link, mimeType: String(v.mimeType), size: Number(v.size) })
    return found
  }
  for (const x of Array.isArray(v) ? v : Object.values(v)) blobsIn(x, found)
  return found
}

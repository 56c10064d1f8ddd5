/**
 * The person's public data, as anyone on the network can read it: their
 * collections, a collection's records (newest first, a page at a time), and
 * one record with its AT-URI, CID and rev.
 */
import type { FC } from 'hono/jsx'
import type { SignedIn } from '../../src/auth/web-session.js'
import { Layout } from '../layout.js'
import { plural } from '../plural.js'
import { JsonView, blobsIn, type JsonViewOptions } from './json-view.js'
import { pagePath } from '../branding.js'

const collectionHref = (collection: string) => pagePath(`/account/data/${collection}`)
const recordHref = (collection: string, rkey: string) => pagePath(`/account/data/${collection}/${encodeURIComponent(rkey)}`)

export const CollectionsPage: FC<{ me: SignedIn; csrf: string; collections: { collection: string; count: number }[] }> = ({ me, csrf, collections }) => (
  <Layout title="Your data" me={me} csrf={csrf}>
    <h1>Your public data</h1>
    <p class="muted">
      Your public repository, as relays and apps read it. Each collection holds one kind of record (posts, likes, profiles…).
      Private data lives in <a href={pagePath('/account/scopes')}>scopes</a>.
    </p>
    <section class="card">
      {collections.length === 0 ? (
        <p class="muted" data-field="no-records">
          No records yet. Apps you sign in to with an app password write here.
        </p>
      ) : (
        <ul class="plain">
          {collections.map((c) => (
            <li data-collection={c.collection}>
              <a href={collectionHref(c.collection)}>
                <code>{c.collection}</code>
              </a>{' '}
              <span class="muted" data-count={String(c.count)}>
                {plural(c.count, 'record')}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  </Layout>
)

export interface CollectionPageProps {
  me: SignedIn
  csrf: string
  collection: string
  total: number
  records: { rkey: string; cid: string; preview: string }[]
  nextCursor?: string
  /** Set when this is not the first page. */
  firstPage: boolean
}

export const CollectionPage: FC<CollectionPageProps> = ({ me, csrf, collection, total, records, nextCursor, firstPage }) => (
  <Layout title={collection} me={me} csrf={csrf}>
    <ul class="crumbs">
      <li>
        <a href={pagePath('/account/data')}>Your data</a>
      </li>
      <li>
        <code>{collection}</code>
      </li>
    </ul>
    <h1>
      <code>{collection}</code>
    </h1>
    <p class="muted" data-field="total">
      {plural(total, 'record')}, newest first
    </p>
    <section class="card">
      {records.length === 0 ? (
        <p class="muted">No records {firstPage ? 'in this collection' : 'older than these'}.</p>
      ) : (
        <ul class="plain">
          {records.map((r) => (
            <li data-rkey={r.rkey}>
              <a href={recordHref(collection, r.rkey)}>
                <code>{r.rkey}</code>
              </a>
              <div class="muted">{r.preview}</div>
            </li>
          ))}
        </ul>
      )}
    </section>
    <p class="pager">
      {!firstPage ? (
        <a class="button quiet" href={collectionHref(collection)}>
          Newest
        </a>
      ) : null}
      {nextCursor ? (
        <a class="button" href={`${collectionHref(collection)}?cursor=${encodeURIComponent(nextCursor)}`} data-field="older">
          Older records
        </a>
      ) : null}
    </p>
  </Layout>
)

export interface RecordPageProps {
  me: SignedIn
  csrf: string
  collection: string
  rkey: string
  uri: string
  cid: string
  rev: string
  value: unknown
  json: JsonViewOptions
}

export const RecordPage: FC<RecordPageProps> = ({ me, csrf, collection, rkey, uri, cid, rev, value, json }) => (
  <Layout title={`${collection}/${rkey}`} me={me} csrf={csrf}>
    <ul class="crumbs">
      <li>
        <a href={pagePath('/account/data')}>Your data</a>
      </li>
      <li>
        <a href={collectionHref(collection)}>
          <code>{collection}</code>
        </a>
      </li>
      <li>
        <code>{rkey}</code>
      </li>
    </ul>
    <h1>A record</h1>
    <section class="card">
      <dl class="facts">
        <dt>AT-URI</dt>
        <dd>
          <code data-field="uri">{uri}</code>
        </dd>
        <dt>CID</dt>
        <dd>
          <code data-field="cid">{cid}</code>
        </dd>
        <dt>Rev</dt>
        <dd>
          <code data-field="rev">{rev}</code>
        </dd>
      </dl>
    </section>
    <Files value={value} json={json} />
    <section class="card">
      <h2>Content</h2>
      <JsonView value={value} options={json} />
      <details>
        <summary>As JSON text</summary>
        <pre data-field="raw-json">{JSON.stringify(value, null, 2)}</pre>
      </details>
    </section>
  </Layout>
)

/** The images (shown) and other files (linked) the record references. */
const Files: FC<{ value: unknown; json: JsonViewOptions }> = ({ value, json }) => {
  const blobs = blobsIn(value)
  if (blobs.length === 0) return null
  return (
    <section class="card" aria-labelledby="files">
      <h2 id="files">{blobs.length === 1 ? 'Its file' : `Its ${blobs.length} files`}</h2>
      <ul class="plain">
        {blobs.map((b) => {
          const url = json.blobUrl(b.cid)
          const label = `${b.mimeType}, ${b.size.toLocaleString('en')} bytes`
          return (
            <li data-file={b.cid}>
              {url && b.mimeType.startsWith('image/') ? <img class="shown" src={url} alt={`Image in this record (${label})`} /> : null}
              {url ? <a href={url}>{b.cid}</a> : <code>{b.cid}</code>} <span class="muted">({label})</span>
            </li>
          )
        })}
      </ul>
    </section>
  )
}

/** A line of a record to show in a list: its text, name or title if it has one, else its type. */
export function recordPreview(value: unknown): string {
  const v = (value ?? {}) as Record<string, unknown>
  for (const k of ['text', 'displayName', 'name', 'title', 'description']) {
    if (typeof v[k] === 'string' && v[k]) return (v[k] as string).slice(0, 140)
  }
  return typeof v.$type === 'string' ? v.$type : ''
}

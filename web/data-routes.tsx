/**
 * The data browser: the signed-in person's public collections, their
 * records newest first, and one record (links between records stay inside
 * the browser; images come from com.atproto.sync.getBlob).
 */
import { Hono, type Context } from 'hono'
import { ensureValidNsid, ensureValidRecordKey } from '@atproto/syntax'
import type { AppContext } from '../src/context.js'
import type { SignedIn } from '../src/auth/web-session.js'
import type { WebSignIn } from '../src/auth/sign-in/web-sign-in.js'
import { CollectionPage, CollectionsPage, RecordPage, recordPreview } from './pages/data-pages.js'
import { ErrorPage } from './pages/error-page.js'
import { sendPage } from './page-response.js'
import { signedInGuards } from './signed-in.js'

const RECORDS_PER_PAGE = 25

const valid = (check: (s: string) => void, s: string) => {
  try {
    check(s)
    return true
  } catch {
    return false
  }
}

export function dataRoutes(ctx: AppContext, w: WebSignIn): Hono {
  const app = new Hono()
  const { page: signedIn } = signedInGuards(w)
  const notFound = (c: Context, me: SignedIn, message: string) =>
    sendPage(c, <ErrorPage title="Not found" message={message} kind="not-found" me={me} csrf={w.sessions.csrfToken(c, me)} />, 404)

  app.get(
    '/account/data',
    signedIn((c, me) => sendPage(c, <CollectionsPage me={me} csrf={w.sessions.csrfToken(c, me)} collections={ctx.repoReader.collections(me.account.did)} />)),
  )

  app.get(
    '/account/data/:collection',
    signedIn((c, me) => {
      const did = me.account.did
      const collection = c.req.param('collection')!
      const total = valid(ensureValidNsid, collection) ? (ctx.repoReader.collections(did).find((x) => x.collection === collection)?.count ?? 0) : 0
      if (total === 0) return notFound(c, me, `Your repository has no collection named “${collection.slice(0, 120)}”.`)
      const cursor = c.req.query('cursor')
      const page = ctx.repoReader.listRecords(did, collection, { limit: RECORDS_PER_PAGE, cursor: cursor && valid(ensureValidRecordKey, cursor) ? cursor : undefined })
      const records = page.records.map((r) => ({ rkey: r.uri.slice(r.uri.lastIndexOf('/') + 1), cid: r.cid, preview: recordPreview(r.value) }))
      return sendPage(
        c,
        <CollectionPage me={me} csrf={w.sessions.csrfToken(c, me)} collection={collection} total={total} records={records} nextCursor={page.cursor} firstPage={!cursor} />,
      )
    }),
  )

  app.get(
    '/account/data/:collection/:rkey',
    signedIn((c, me) => {
      const did = me.account.did
      const collection = c.req.param('collection')!
      const rkey = c.req.param('rkey')!
      const ok = valid(ensureValidNsid, collection) && valid(ensureValidRecordKey, rkey)
      const record = ok ? ctx.repoReader.getRecord(did, collection, rkey) : null
      const indexed = ok ? ctx.records.get(did, '', collection, rkey) : null
      if (!record || !indexed) return notFound(c, me, 'Your repository has no such record (it may have been deleted).')
      const blobUrl = (cid: string) => `/xrpc/com.atproto.sync.getBlob?did=${encodeURIComponent(did)}&cid=${encodeURIComponent(cid)}`
      return sendPage(
        c,
        <RecordPage
          me={me}
          csrf={w.sessions.csrfToken(c, me)}
          collection={collection}
          rkey={rkey}
          uri={record.uri}
          cid={record.cid}
          rev={indexed.rev}
          value={record.value}
          json={{ did, blobUrl }}
        />,
      )
    }),
  )

  return app
}

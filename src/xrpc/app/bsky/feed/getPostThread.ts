/**
 * app.bsky.feed.getPostThread, answered by the AppView. The account's own
 * replies the AppView has not indexed yet appear under their parents; and
 * the account's own post the AppView does not know yet (NotFound) is shown
 * from this server's copy, with its new replies.
 */
import type { AppBskyFeedGetPostThread } from '@atproto/api'
import { AtUri } from '@atproto/syntax'
import { xrpcMethod, type XrpcCall } from '../../../xrpc-router.js'
import { HearthError } from '../../../../errors/hearth-error.js'
import { httpStatusOf } from '../../../../errors/http-answer.js'
import { readAfterWrite, mergedAnswer, viewsFor } from '../../../../proxy/read-after-write/read-after-write.js'
import { localChangesSince, POST, type LocalChanges } from '../../../../proxy/read-after-write/local-changes.js'
import type { LocalViews } from '../../../../proxy/read-after-write/local-views.js'
import type { RecordSinceRev } from '../../../../repo/records-since-rev.js'

type Json = Record<string, any>
const THREAD_VIEW = 'app.bsky.feed.defs#threadViewPost'

export default xrpcMethod<AppBskyFeedGetPostThread.QueryParams>({
  nsid: 'app.bsky.feed.getPostThread',
  auth: 'access',
  async handler(call) {
    try {
      return await readAfterWrite(call, (answer, local, views) =>
        answer.thread?.$type === THREAD_VIEW ? { ...answer, thread: addReplies(answer.thread, local.posts, views) } : answer,
      )
    } catch (err) {
      if (err instanceof HearthError && err.error === 'NotFound' && httpStatusOf(err) < 500) {
        const own = ownPostThread(call, err)
        if (own) return own
      }
      throw err
    }
  },
})

/** The thread of the account's own post the AppView has not indexed, from the local copy. */
function ownPostThread(call: XrpcCall<AppBskyFeedGetPostThread.QueryParams>, err: HearthError): Json | null {
  const { ctx, auth } = call
  let uri: AtUri
  try {
    uri = new AtUri(call.params.uri)
  } catch {
    return null
  }
  const account = auth!.account
  if ((uri.host !== account.did && uri.host.toLowerCase() !== account.handle) || uri.collection !== POST) return null
  const found = ctx.repoReader.getRecord(account.did, POST, uri.rkey)
  if (!found) return null
  const entry = ctx.records.get(account.did, '', POST, uri.rkey)
  const rev = err.headers?.['atproto-repo-rev']
  const local: LocalChanges = (rev ? localChangesSince(ctx, account.did, rev) : null) ?? { profile: null, posts: [], lagMs: 0 }
  const self: RecordSinceRev = {
    uri: found.uri,
    cid: found.cid,
    collection: POST,
    rkey: uri.rkey,
    rev: entry?.rev ?? '',
    indexedAt: local.posts.find((p) => p.uri === found.uri)?.indexedAt ?? new Date().toISOString(),
    value: found.value,
  }
  const views = viewsFor(call, local)
  const thread = addReplies({ $type: THREAD_VIEW, post: views.postView(self), replies: [] }, local.posts, views)
  return mergedAnswer(call, err.headers ?? {}, { thread }, local)
}

/** Puts each new reply under its parent, wherever that parent is in the thread. */
function addReplies(thread: Json, posts: RecordSinceRev[], views: LocalViews): Json {
  const rootUri: string = thread.post?.record?.reply?.root?.uri ?? thread.post?.uri
  const replies = posts.filter((p) => (p.value as Json).reply?.root?.uri === rootUri)
  let out = thread
  for (const reply of replies) out = insertReply(out, reply, views)
  return out
}

function insertReply(view: Json, reply: RecordSinceRev, views: LocalViews): Json {
  if (view.$type !== THREAD_VIEW) return view
  const existing: Json[] = Array.isArray(view.replies) ? view.replies : []
  if ((reply.value as Json).reply?.parent?.uri === view.post?.uri) {
    if (existing.some((r) => r.post?.uri === reply.uri)) return view
    return { ...view, replies: [{ $type: THREAD_VIEW, post: views.postView(reply), replies: [] }, ...existing] }
  }
  if (!existing.length) return view
  return { ...view, replies: existing.map((r) => insertReply(r, reply, views)) }
}

/**
 * Putting the account's own new posts into a feed answer (getAuthorFeed,
 * getTimeline) the AppView gave without them: newest first, each before the
 * first item older than it, never twice. Only the first page gets them
 * (a later page, asked with a cursor, is older than they are).
 */
import type { RecordSinceRev } from '../../../../repo/records-since-rev.js'
import type { LocalViews } from '../../../../proxy/read-after-write/local-views.js'

type Json = Record<string, any>

const itemTime = (item: Json): string => item.reason?.indexedAt ?? item.post?.indexedAt ?? ''

export function insertOwnPosts(feed: Json[], posts: RecordSinceRev[], views: LocalViews): Json[] {
  const present = new Set(feed.map((item) => item.post?.uri))
  const out = [...feed]
  const newestFirst = posts.filter((p) => !present.has(p.uri)).reverse()
  for (const post of newestFirst) {
    const view = views.postView(post)
    const at = out.findIndex((item) => itemTime(item) < post.indexedAt)
    if (at === -1) out.push({ post: view })
    else out.splice(at, 0, { post: view })
  }
  return out
}

/** The account's own items with its newest profile as their author. */
export function refreshOwnAuthor(feed: Json[], views: LocalViews): Json[] {
  return feed.map((item) => (item.post?.author?.did === views.did ? { ...item, post: { ...item.post, author: views.withProfileBasic(item.post.author) } } : item))
}

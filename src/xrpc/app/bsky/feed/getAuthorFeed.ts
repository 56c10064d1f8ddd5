/**
 * app.bsky.feed.getAuthorFeed, answered by the AppView; the account's own
 * feed shows its posts the AppView has not indexed yet (as the feed's
 * `filter` would show them).
 */
import type { AppBskyFeedGetAuthorFeed } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'
import { readAfterWrite } from '../../../../proxy/read-after-write/read-after-write.js'
import type { RecordSinceRev } from '../../../../repo/records-since-rev.js'
import { insertOwnPosts, refreshOwnAuthor } from './feed-merge.js'

type Json = Record<string, any>

export default xrpcMethod<AppBskyFeedGetAuthorFeed.QueryParams>({
  nsid: 'app.bsky.feed.getAuthorFeed',
  auth: 'access',
  handler: (call) =>
    readAfterWrite(call, (answer, local, views) => {
      const { actor, cursor, filter } = call.params
      const account = call.auth!.account
      if (actor !== account.did && actor.toLowerCase() !== account.handle) return answer
      let feed: Json[] = Array.isArray(answer.feed) ? answer.feed : []
      if (local.profile) feed = refreshOwnAuthor(feed, views)
      if (!cursor) feed = insertOwnPosts(feed, local.posts.filter((p) => shownBy(filter, p, account.did)), views)
      return { ...answer, feed }
    }),
})

/** Whether the feed's filter would show this post. */
function shownBy(filter: string | undefined, post: RecordSinceRev, did: string): boolean {
  const record = post.value as Json
  const embedType: string = record.embed?.$type ?? ''
  const mediaType: string = record.embed?.media?.$type ?? ''
  switch (filter) {
    case 'posts_no_replies':
      return !record.reply
    case 'posts_with_media':
      return ['app.bsky.embed.images', 'app.bsky.embed.video'].some((t) => embedType === t || mediaType === t)
    case 'posts_with_video':
      return embedType === 'app.bsky.embed.video' || mediaType === 'app.bsky.embed.video'
    case 'posts_and_author_threads':
      return !record.reply || String(record.reply.parent?.uri ?? '').startsWith(`at://${did}/`)
    default:
      return true
  }
}

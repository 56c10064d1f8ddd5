/**
 * app.bsky.feed.getTimeline, answered by the AppView; the account's own
 * posts the AppView has not indexed yet are in it already.
 */
import type { AppBskyFeedGetTimeline } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'
import { readAfterWrite } from '../../../../proxy/read-after-write/read-after-write.js'
import { insertOwnPosts, refreshOwnAuthor } from './feed-merge.js'

type Json = Record<string, any>

export default xrpcMethod<AppBskyFeedGetTimeline.QueryParams>({
  nsid: 'app.bsky.feed.getTimeline',
  auth: 'access',
  handler: (call) =>
    readAfterWrite(call, (answer, local, views) => {
      let feed: Json[] = Array.isArray(answer.feed) ? answer.feed : []
      if (local.profile) feed = refreshOwnAuthor(feed, views)
      if (!call.params.cursor) feed = insertOwnPosts(feed, local.posts, views)
      return { ...answer, feed }
    }),
})

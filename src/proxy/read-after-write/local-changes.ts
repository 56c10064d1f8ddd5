/**
 * What the account wrote that the AppView has not seen yet: its posts and
 * its profile record written after the rev the AppView reports
 * (`atproto-repo-rev`). Cheap when there is nothing: the repo's head rev is
 * compared first, and only an AppView behind it costs a query.
 */
import type { AppContext } from '../../context.js'
import type { RecordSinceRev } from '../../repo/records-since-rev.js'

export const POST = 'app.bsky.feed.post'
export const PROFILE = 'app.bsky.actor.profile'

export interface LocalChanges {
  /** The newest profile record, if it changed. */
  profile: RecordSinceRev | null
  /** New or changed posts, oldest first. */
  posts: RecordSinceRev[]
  /** Milliseconds between the oldest of them and now: how far behind the AppView is. */
  lagMs: number
}

export function localChangesSince(ctx: AppContext, did: string, rev: string): LocalChanges | null {
  const head = ctx.repoReader.head(did)
  if (!head || head.rev <= rev) return null
  const records = ctx.recordsSinceRev.list(did, rev, [POST, PROFILE])
  const posts = records.filter((r) => r.collection === POST)
  const profile = records.filter((r) => r.collection === PROFILE && r.rkey === 'self').pop() ?? null
  if (!posts.length && !profile) return null
  const oldest = Math.min(...records.map((r) => Date.parse(r.indexedAt)))
  return { profile, posts, lagMs: Math.max(0, Date.now() - oldest) }
}

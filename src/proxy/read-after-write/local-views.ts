/**
 * Views of the account's own new records, shaped as the AppView would
 * shape them (app.bsky.feed.defs#postView, profile views), for merging into
 * its answers before it has indexed them. Counts are 0: the records are
 * seconds old. Images point at this server's getBlob, since the AppView's
 * image service does not have them yet. Quote and record embeds are left
 * out (their views need the AppView's data); the record itself carries them.
 */
import type { AppContext } from '../../context.js'
import type { RecordSinceRev } from '../../repo/records-since-rev.js'

type Json = Record<string, any>

export class LocalViews {
  constructor(
    private ctx: AppContext,
    readonly did: string,
    private profile: Json | null,
  ) {}

  private blobUrl(blob: Json | undefined): string | undefined {
    const cid = blob?.ref?.$link
    if (typeof cid !== 'string') return undefined
    return `${this.ctx.config.publicUrl}/xrpc/com.atproto.sync.getBlob?did=${encodeURIComponent(this.did)}&cid=${encodeURIComponent(cid)}`
  }

  /** The account as a profileViewBasic, from its own profile record and handle. */
  authorBasic(fromAppView?: Json): Json {
    const handle = this.ctx.accounts.get(this.did)?.handle ?? 'handle.invalid'
    const base = fromAppView ?? { did: this.did, handle }
    return this.profile ? this.withProfileBasic(base) : base
  }

  /** A profile view (basic, full or detailed) with the fields the local profile record holds. */
  withProfileBasic(view: Json): Json {
    if (!this.profile) return view
    return dropUndefined({ ...view, displayName: this.profile.displayName, avatar: this.blobUrl(this.profile.avatar) })
  }

  withProfileDetailed(view: Json): Json {
    if (!this.profile) return view
    return dropUndefined({ ...this.withProfileBasic(view), description: this.profile.description, banner: this.blobUrl(this.profile.banner) })
  }

  postView(post: RecordSinceRev, author?: Json): Json {
    const record = post.value as Json
    return dropUndefined({
      uri: post.uri,
      cid: post.cid,
      author: author ?? this.authorBasic(),
      record,
      embed: this.embedView(record.embed),
      replyCount: 0,
      repostCount: 0,
      likeCount: 0,
      quoteCount: 0,
      indexedAt: post.indexedAt,
      labels: [],
    })
  }

  private embedView(embed: Json | undefined): Json | undefined {
    if (!embed || typeof embed !== 'object') return undefined
    if (embed.$type === 'app.bsky.embed.images' && Array.isArray(embed.images)) {
      return {
        $type: 'app.bsky.embed.images#view',
        images: embed.images.map((img: Json) =>
          dropUndefined({ thumb: this.blobUrl(img.image), fullsize: this.blobUrl(img.image), alt: img.alt ?? '', aspectRatio: img.aspectRatio }),
        ),
      }
    }
    if (embed.$type === 'app.bsky.embed.external' && embed.external) {
      const { uri, title, description, thumb } = embed.external as Json
      return { $type: 'app.bsky.embed.external#view', external: dropUndefined({ uri, title, description, thumb: this.blobUrl(thumb) }) }
    }
    return undefined
  }
}

function dropUndefined(o: Json): Json {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k]
  return o
}

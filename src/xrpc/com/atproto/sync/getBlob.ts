import type { ComAtprotoSyncGetBlob } from '@atproto/api'
import { Readable } from 'node:stream'
import { xrpcMethod } from '../../../xrpc-router.js'
import { invalidRequest } from '../../../xrpc-error.js'
import { resolveReadableRepo } from '../repo/resolve-repo.js'

export default xrpcMethod<ComAtprotoSyncGetBlob.QueryParams>({
  nsid: 'com.atproto.sync.getBlob',
  auth: 'optional',
  handler({ params, ctx, auth }) {
    const { did } = resolveReadableRepo(ctx, params.did, auth)
    const row = ctx.blobIndex.get(did, params.cid)
    const stream = row ? ctx.blobStore.get(did, params.cid) : null
    if (!row || !stream) throw invalidRequest('Blob not found', 'BlobNotFound')
    return new Response(Readable.toWeb(stream) as ReadableStream, {
      headers: {
        'content-type': row.mimeType,
        'content-length': String(row.size),
        // A blob is named by its hash: it never changes. Served as a download
        // so that an uploaded HTML file can't run in this origin.
        'cache-control': 'public, max-age=31536000, immutable',
        'content-security-policy': "default-src 'none'; sandbox",
        'x-content-type-options': 'nosniff',
      },
    })
  },
})

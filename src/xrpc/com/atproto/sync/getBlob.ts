import type { ComAtprotoSyncGetBlob } from '@atproto/api'
import { Readable } from 'node:stream'
import { xrpcMethod } from '../../../xrpc-router.js'
import { XrpcError, invalidRequest } from '../../../xrpc-error.js'
import { resolveReadableRepo } from '../repo/resolve-repo.js'

export default xrpcMethod<ComAtprotoSyncGetBlob.QueryParams>({
  nsid: 'com.atproto.sync.getBlob',
  auth: 'optional',
  async handler({ params, ctx, c, auth }) {
    const { did } = resolveReadableRepo(ctx, params.did, auth)
    // Streamed from the store; a Range (video players seek with them) is passed through to it.
    const blob = await ctx.blobs.open(did, params.cid, c.req.header('range'))
    if (blob.kind === 'missing') throw invalidRequest('Blob not found', 'BlobNotFound')
    if (blob.kind === 'unsatisfiable') {
      throw new XrpcError(416, 'RangeNotSatisfiable', `The blob has ${blob.row.size} bytes; the requested range starts past its end`, {
        'content-range': `bytes */${blob.row.size}`,
      })
    }
    const { row, range, stream } = blob
    const headers: Record<string, string> = {
      'content-type': row.mimeType,
      'content-length': String(range ? range.end - range.start + 1 : row.size),
      'accept-ranges': 'bytes',
      // A blob is named by its hash: it never changes. Served as a download
      // so that an uploaded HTML file can't run in this origin.
      'cache-control': 'public, max-age=31536000, immutable',
      'content-security-policy': "default-src 'none'; sandbox",
      'x-content-type-options': 'nosniff',
    }
    if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${row.size}`
    return new Response(Readable.toWeb(stream) as ReadableStream, { status: range ? 206 : 200, headers })
  },
})

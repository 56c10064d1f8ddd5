import { jsonToLex } from '@atproto/lexicon'
import { xrpcMethod } from '../../../xrpc-router.js'
import { XrpcError, invalidRequest } from '../../../xrpc-error.js'
import { BlobTooLargeError } from '../../../../blob/blob-store.js'

export default xrpcMethod({
  nsid: 'com.atproto.repo.uploadBlob',
  auth: 'access',
  rawInput: true,
  async handler({ auth, ctx, c }) {
    const did = auth!.did
    // A deactivated account may upload: one moving in fills in its blobs before activation, as on the reference.
    if (auth!.account.status !== 'active' && auth!.account.status !== 'deactivated') {
      throw invalidRequest(`Account is ${auth!.account.status}`, 'AccountDeactivated')
    }
    const limit = ctx.config.maxBlobBytes
    if (Number(c.req.header('content-length') ?? 0) > limit) {
      throw new XrpcError(413, 'PayloadTooLarge', `Blob is larger than ${limit} bytes`)
    }
    const body = c.req.raw.body
    if (!body) throw invalidRequest('No blob in the request body')
    const mimeType = (c.req.header('content-type') ?? 'application/octet-stream').split(';')[0].trim().toLowerCase()
    let stored: { cid: string; size: number }
    try {
      stored = await ctx.blobStore.put(did, body, limit)
    } catch (err) {
      if (err instanceof BlobTooLargeError) throw new XrpcError(413, 'PayloadTooLarge', err.message)
      throw err
    }
    if (stored.size === 0) {
      ctx.blobStore.delete(did, stored.cid) // no record may reference it: don't keep the file
      throw invalidRequest('Blob is empty')
    }
    ctx.blobIndex.add(did, stored.cid, mimeType, stored.size)
    // A lex value (BlobRef), which the lexicon's output check accepts as a blob
    // and which serializes to the same `{ $type: 'blob', ref: { $link } }` JSON.
    return jsonToLex({ blob: { $type: 'blob', ref: { $link: stored.cid }, mimeType, size: stored.size } })
  },
})

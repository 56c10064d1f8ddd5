import { jsonToLex } from '@atproto/lexicon'
import { xrpcMethod } from '../../../xrpc-router.js'
import { XrpcError, invalidRequest } from '../../../xrpc-error.js'
import { BlobBodyError, BlobTooLargeError, BlobUploadStalledError } from '../../../../blob/blob-store.js'
import { EmptyBlobError } from '../../../../blob/blob-service.js'

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
    const lengthHeader = c.req.header('content-length')
    if (lengthHeader !== undefined && !/^\d+$/.test(lengthHeader)) throw invalidRequest('Content-Length is not a number of bytes')
    const mimeType = (c.req.header('content-type') ?? 'application/octet-stream').split(';')[0].trim().toLowerCase()
    let stored: { cid: string; size: number; mimeType: string }
    try {
      // Streamed: hashed and written as it arrives, never whole in memory.
      stored = await ctx.blobs.upload(did, body, {
        mimeType,
        declaredLength: lengthHeader === undefined ? undefined : Number(lengthHeader),
        signal: c.req.raw.signal,
      })
    } catch (err) {
      if (err instanceof BlobTooLargeError) throw new XrpcError(413, 'PayloadTooLarge', err.message)
      if (err instanceof BlobUploadStalledError) throw new XrpcError(408, 'RequestTimeout', `${err.message}: upload abandoned`)
      if (err instanceof BlobBodyError || err instanceof EmptyBlobError) throw invalidRequest(err.message)
      throw err
    }
    // A lex value (BlobRef), which the lexicon's output check accepts as a blob
    // and which serializes to the same `{ $type: 'blob', ref: { $link } }` JSON.
    return jsonToLex({ blob: { $type: 'blob', ref: { $link: stored.cid }, mimeType: stored.mimeType, size: stored.size } })
  },
})

/**
 * dev.hearth.scope.uploadBlob: the signed-in owner uploads a file into one
 * of their scopes (up to HEARTH_MAX_INGEST_BYTES), answered with the blob
 * reference its records put in their data.
 */
import { jsonToLex } from '@atproto/lexicon'
import { xrpcMethod } from '../../../xrpc-router.js'
import { XrpcError, invalidRequest } from '../../../xrpc-error.js'
import { ensureValidScopeName } from '../../../../scope/scope-name.js'

export default xrpcMethod<{ scope: string }>({
  nsid: 'dev.hearth.scope.uploadBlob',
  auth: 'access',
  rawInput: true,
  async handler({ params, auth, ctx, c }) {
    const scope = ensureValidScopeName(params.scope)
    if (auth!.account.status !== 'active') throw invalidRequest(`Account is ${auth!.account.status}`, 'AccountDeactivated')
    const limit = ctx.config.maxIngestBytes
    if (Number(c.req.header('content-length') ?? 0) > limit) throw new XrpcError(413, 'PayloadTooLarge', `File is larger than ${limit} bytes (HEARTH_MAX_INGEST_BYTES)`)
    const body = c.req.raw.body
    if (!body) throw invalidRequest('No file in the request body')
    const mimeType = (c.req.header('content-type') ?? 'application/octet-stream').split(';')[0].trim().toLowerCase()
    const blob = await ctx.scopes.blobs.upload(auth!.did, scope, body, mimeType, limit)
    return jsonToLex({ blob: { $type: 'blob', ref: { $link: blob.cid }, mimeType: blob.mimeType, size: blob.size } })
  },
})

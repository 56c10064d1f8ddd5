import type { ComAtprotoSyncGetRecord } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'
import { invalidRequest } from '../../../xrpc-error.js'
import { resolveReadableRepo } from '../repo/resolve-repo.js'

export default xrpcMethod<ComAtprotoSyncGetRecord.QueryParams>({
  nsid: 'com.atproto.sync.getRecord',
  auth: 'none',
  async handler({ params, ctx }) {
    const { did } = resolveReadableRepo(ctx, params.did)
    const car = await ctx.repoReader.recordProof(did, params.collection, params.rkey)
    if (!car) throw invalidRequest(`Could not find repo for DID: ${did}`, 'RepoNotFound')
    // Buffered, not streamed: a proof is a handful of blocks, and a failure must still become a clean 4xx.
    const chunks: Uint8Array[] = []
    for await (const chunk of car) chunks.push(chunk)
    return new Response(Buffer.concat(chunks), { headers: { 'content-type': 'application/vnd.ipld.car' } })
  },
})

import type { ComAtprotoRepoGetRecord } from '@atproto/api'
import { JsonText, xrpcMethod } from '../../../xrpc-router.js'
import { XrpcError } from '../../../xrpc-error.js'
import { resolveReadableRepo } from './resolve-repo.js'

export default xrpcMethod<ComAtprotoRepoGetRecord.QueryParams>({
  nsid: 'com.atproto.repo.getRecord',
  auth: 'none',
  // Answered by src/xrpc/lean-reads.ts too: public, synchronous, a cached JSON text.
  lean: true,
  handler({ params, ctx }) {
    const { did } = resolveReadableRepo(ctx, params.repo)
    const record = ctx.repoReader.getRecordJson(did, params.collection, params.rkey, params.cid)
    if (record === null) throw new XrpcError(400, 'RecordNotFound', `Could not locate record: at://${did}/${params.collection}/${params.rkey}`)
    return new JsonText(record)
  },
})

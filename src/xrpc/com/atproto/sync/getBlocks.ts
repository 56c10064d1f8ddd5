import type { ComAtprotoSyncGetBlocks } from '@atproto/api'
import { parseCidSafe, type Cid } from '@atproto/lex-data'
import { xrpcMethod } from '../../../xrpc-router.js'
import { invalidRequest } from '../../../xrpc-error.js'
import { encodeCar } from '../../../../repo/car-writer.js'
import { resolveReadableRepo } from '../repo/resolve-repo.js'

export default xrpcMethod<ComAtprotoSyncGetBlocks.QueryParams>({
  nsid: 'com.atproto.sync.getBlocks',
  auth: 'none',
  handler({ params, ctx }) {
    const { did } = resolveReadableRepo(ctx, params.did)
    const cids: Cid[] = params.cids.map((s) => {
      const cid = parseCidSafe(s)
      if (!cid) throw invalidRequest(`Invalid CID: ${s}`)
      return cid
    })
    const { found, missing } = ctx.repoReader.getBlocks(did, cids)
    if (missing.length > 0) throw invalidRequest(`Could not find blocks: ${missing.map(String).join(', ')}`, 'BlockNotFound')
    return new Response(Buffer.from(encodeCar(null, found)), { headers: { 'content-type': 'application/vnd.ipld.car' } })
  },
})

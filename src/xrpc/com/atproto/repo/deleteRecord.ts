import type { ComAtprotoRepoDeleteRecord } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'
import { prepareWrite } from '../../../../repo/prepare-writes.js'
import { XrpcError } from '../../../xrpc-error.js'
import { resolveWritableRepo } from './resolve-repo.js'

export default xrpcMethod<unknown, ComAtprotoRepoDeleteRecord.InputSchema>({
  nsid: 'com.atproto.repo.deleteRecord',
  auth: 'access',
  leanWrite: true,
  async handler({ input, auth, ctx }) {
    const { did } = resolveWritableRepo(ctx, input.repo, auth)
    const write = prepareWrite(
      { action: 'delete', collection: input.collection, rkey: input.rkey, swapRecord: input.swapRecord },
      ctx.recordValidator,
    )
    // Deleting what is not there succeeds without a commit, unless a swap says otherwise.
    if (!ctx.records.get(did, '', input.collection, input.rkey)) {
      if (input.swapRecord) throw new XrpcError(400, 'InvalidSwap', `No record at ${input.collection}/${input.rkey}`)
      if (input.swapCommit && ctx.repoReader.head(did)?.cid !== input.swapCommit) {
        throw new XrpcError(400, 'InvalidSwap', 'Commit has moved on')
      }
      return {}
    }
    const { commit } = await ctx.committer.applyWrites(did, [write], { swapCommit: input.swapCommit })
    return { commit }
  },
})

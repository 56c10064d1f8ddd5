import type { ComAtprotoRepoCreateRecord } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'
import { prepareWrite } from '../../../../repo/prepare-writes.js'
import { resolveWritableRepo } from './resolve-repo.js'

export default xrpcMethod<unknown, ComAtprotoRepoCreateRecord.InputSchema>({
  nsid: 'com.atproto.repo.createRecord',
  auth: 'access',
  leanWrite: true,
  async handler({ input, auth, ctx }) {
    const { did } = resolveWritableRepo(ctx, input.repo, auth)
    const write = prepareWrite(
      { action: 'create', collection: input.collection, rkey: input.rkey, record: input.record, validate: input.validate },
      ctx.recordValidator,
    )
    const { commit, results } = await ctx.committer.applyWrites(did, [write], { swapCommit: input.swapCommit })
    const r = results[0]
    return { uri: r.uri, cid: r.cid!, commit, ...(r.validationStatus ? { validationStatus: r.validationStatus } : {}) }
  },
})

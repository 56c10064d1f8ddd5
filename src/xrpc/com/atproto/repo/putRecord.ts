import type { ComAtprotoRepoPutRecord } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'
import { prepareWrite } from '../../../../repo/prepare-writes.js'
import { resolveWritableRepo } from './resolve-repo.js'

export default xrpcMethod<unknown, ComAtprotoRepoPutRecord.InputSchema>({
  nsid: 'com.atproto.repo.putRecord',
  auth: 'access',
  leanWrite: true,
  async handler({ input, auth, ctx }) {
    const { did } = resolveWritableRepo(ctx, input.repo, auth)
    const current = ctx.records.get(did, '', input.collection, input.rkey)
    const write = prepareWrite(
      {
        action: current ? 'update' : 'create',
        collection: input.collection,
        rkey: input.rkey,
        record: input.record,
        validate: input.validate,
        swapRecord: input.swapRecord,
      },
      ctx.recordValidator,
    )
    // Writing identical content is not a change: answer with what is there, make no commit.
    if (current && write.action !== 'delete' && current.cid === write.cid.toString() && input.swapCommit === undefined && input.swapRecord === undefined) {
      const head = ctx.repoReader.head(did)!
      return { uri: `at://${did}/${input.collection}/${input.rkey}`, cid: current.cid, commit: head, ...(write.validationStatus ? { validationStatus: write.validationStatus } : {}) }
    }
    const { commit, results } = await ctx.committer.applyWrites(did, [write], { swapCommit: input.swapCommit })
    const r = results[0]
    return { uri: r.uri, cid: r.cid!, commit, ...(r.validationStatus ? { validationStatus: r.validationStatus } : {}) }
  },
})

import type { ComAtprotoRepoApplyWrites } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'
import { invalidRequest } from '../../../xrpc-error.js'
import { prepareWrite, type WriteRequest } from '../../../../repo/prepare-writes.js'
import { resolveWritableRepo } from './resolve-repo.js'

const MAX_WRITES = 200
// A Map: `$type` comes from the request, and must not find an inherited property.
const ACTIONS = new Map<string, WriteRequest['action']>(Object.entries({
  'com.atproto.repo.applyWrites#create': 'create',
  'com.atproto.repo.applyWrites#update': 'update',
  'com.atproto.repo.applyWrites#delete': 'delete',
} as const))
const RESULT_TYPES = {
  create: 'com.atproto.repo.applyWrites#createResult',
  update: 'com.atproto.repo.applyWrites#updateResult',
  delete: 'com.atproto.repo.applyWrites#deleteResult',
} as const

export default xrpcMethod<unknown, ComAtprotoRepoApplyWrites.InputSchema>({
  nsid: 'com.atproto.repo.applyWrites',
  auth: 'access',
  leanWrite: true,
  async handler({ input, auth, ctx }) {
    const { did } = resolveWritableRepo(ctx, input.repo, auth)
    if (input.writes.length > MAX_WRITES) throw invalidRequest(`Too many writes: at most ${MAX_WRITES} per call`)
    const writes = input.writes.map((w) => {
      const action = ACTIONS.get((w as { $type?: string }).$type ?? '')
      if (!action) throw invalidRequest(`Unknown write type: ${(w as { $type?: string }).$type}`)
      const any = w as { collection: string; rkey?: string; value?: unknown }
      return prepareWrite(
        { action, collection: any.collection, rkey: any.rkey, record: any.value, validate: input.validate },
        ctx.recordValidator,
      )
    })
    const { commit, results } = await ctx.committer.applyWrites(did, writes, { swapCommit: input.swapCommit })
    return {
      commit,
      results: results.map((r) =>
        r.action === 'delete'
          ? { $type: RESULT_TYPES.delete }
          : { $type: RESULT_TYPES[r.action], uri: r.uri, cid: r.cid, ...(r.validationStatus ? { validationStatus: r.validationStatus } : {}) },
      ),
    }
  },
})

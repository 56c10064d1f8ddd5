/**
 * dev.hearth.scope.getRecord: one scope record with its proof, as a CAR
 * (the scope repository's signed commit, the MST path to the record, the
 * record), like com.atproto.sync.getRecord. For a keyed record the rkey is
 * its key, so this is also "the latest version of a keyed record". An
 * absent record gets the proof of its absence.
 */
import { xrpcMethod } from '../../../xrpc-router.js'
import { XrpcError } from '../../../xrpc-error.js'
import { ensureValidScopeName } from '../../../../scope/scope-name.js'
import { authorizeScopeRead, noteScopeRead } from '../../../../grant/scope-read-access.js'

const NSID = 'dev.hearth.scope.getRecord'

export default xrpcMethod<{ repo: string; scope: string; rkey: string }>({
  nsid: NSID,
  auth: 'serviceOrOwner',
  async handler({ params, ctx, auth }) {
    const scope = ensureValidScopeName(params.scope)
    const reader = authorizeScopeRead(ctx, auth!, params.repo, scope)
    const car = await ctx.repoReader.recordProof(reader.ownerDid, scope, params.rkey, scope)
    if (!car) throw new XrpcError(404, 'RepoNotFound', `Scope ${scope} of ${params.repo} holds no records yet`)
    // Buffered: a proof is a handful of blocks, and a failure must still become a clean error.
    const chunks: Uint8Array[] = []
    for await (const chunk of car) chunks.push(chunk)
    noteScopeRead(ctx, reader, { scope, method: NSID, detail: params.rkey })
    return new Response(Buffer.concat(chunks), { headers: { 'content-type': 'application/vnd.ipld.car' } })
  },
})

import { xrpcMethod } from '../../../xrpc-router.js'

export default xrpcMethod({
  nsid: 'com.atproto.server.checkAccountStatus',
  auth: 'access',
  async handler({ auth, ctx }) {
    const account = auth!.account
    const head = ctx.repoReader.head(account.did)
    const indexedRecords = ctx.repoReader.collections(account.did).reduce((n, c) => n + c.count, 0)
    const { expectedBlobs, importedBlobs, repoBlocks } = ctx.moves.status.counts(account.did)
    return {
      activated: account.status === 'active',
      validDid: (await ctx.moves.incoming.didDocProblem(account)) === null,
      ...(head ? { repoCommit: head.cid, repoRev: head.rev } : {}),
      repoBlocks,
      indexedRecords,
      privateStateValues: 0,
      expectedBlobs,
      importedBlobs,
    }
  },
})

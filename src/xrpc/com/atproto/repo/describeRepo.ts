import type { ComAtprotoRepoDescribeRepo } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'
import { didDocFor } from '../../../../identity/did-documents.js'
import { resolveReadableRepo } from './resolve-repo.js'

export default xrpcMethod<ComAtprotoRepoDescribeRepo.QueryParams>({
  nsid: 'com.atproto.repo.describeRepo',
  auth: 'none',
  async handler({ params, ctx }) {
    const account = resolveReadableRepo(ctx, params.repo)
    const didDoc = await didDocFor(ctx, account.did)
    const aka = (didDoc?.alsoKnownAs as string[] | undefined) ?? []
    return {
      handle: account.handle,
      did: account.did,
      didDoc: didDoc ?? {},
      collections: ctx.repoReader.collections(account.did).map((c) => c.collection),
      handleIsCorrect: aka.includes(`at://${account.handle}`),
    }
  },
})

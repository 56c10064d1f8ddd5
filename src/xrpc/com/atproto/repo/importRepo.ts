import { xrpcMethod } from '../../../xrpc-router.js'
import { XrpcError } from '../../../xrpc-error.js'

export default xrpcMethod({
  nsid: 'com.atproto.repo.importRepo',
  auth: 'access',
  rawInput: true,
  async handler({ auth, ctx, c }) {
    const limit = ctx.config.maxImportBytes
    if (Number(c.req.header('content-length') ?? 0) > limit) {
      throw new XrpcError(413, 'PayloadTooLarge', `The repository CAR is larger than this server's limit of ${limit} bytes (HEARTH_MAX_IMPORT_BYTES)`)
    }
    await ctx.moves.repoImport.import(auth!.account, c.req.raw.body)
  },
})

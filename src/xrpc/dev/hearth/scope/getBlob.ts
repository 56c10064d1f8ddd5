/**
 * dev.hearth.scope.getBlob: a file of a scope, for an app holding a grant
 * for that scope (or the owner). Scope files are never served by the public
 * com.atproto.sync.getBlob. Each read is logged.
 */
import { Readable } from 'node:stream'
import { xrpcMethod } from '../../../xrpc-router.js'
import { XrpcError } from '../../../xrpc-error.js'
import { ensureValidScopeName } from '../../../../scope/scope-name.js'
import { authorizeScopeRead, noteScopeRead } from '../../../../grant/scope-read-access.js'

const NSID = 'dev.hearth.scope.getBlob'

export default xrpcMethod<{ repo: string; scope: string; cid: string }>({
  nsid: NSID,
  auth: 'serviceOrOwner',
  async handler({ params, ctx, auth }) {
    const scope = ensureValidScopeName(params.scope)
    const reader = authorizeScopeRead(ctx, auth!, params.repo, scope)
    const found = ctx.scopes.blobs.get(reader.ownerDid, scope, params.cid)
    if (!found) throw new XrpcError(404, 'BlobNotFound', `Scope ${scope} has no file ${params.cid}`)
    noteScopeRead(ctx, reader, { scope, method: NSID, detail: params.cid })
    return new Response(Readable.toWeb(found.stream) as ReadableStream, {
      headers: {
        'content-type': found.row.mimeType,
        'content-length': String(found.row.size),
        'cache-control': 'private, no-store',
        // Served as data, never as a page of this origin.
        'content-security-policy': "default-src 'none'; sandbox",
        'x-content-type-options': 'nosniff',
      },
    })
  },
})

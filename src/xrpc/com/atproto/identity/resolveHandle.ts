import type { ComAtprotoIdentityResolveHandle } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'
import { invalidRequest } from '../../../xrpc-error.js'
import { normalizeValidHandle, serviceDomainOf } from '../../../../identity/handles.js'

export default xrpcMethod<ComAtprotoIdentityResolveHandle.QueryParams>({
  nsid: 'com.atproto.identity.resolveHandle',
  auth: 'none',
  async handler({ params, ctx }) {
    const handle = normalizeValidHandle(params.handle)
    const local = ctx.accounts.getByHandle(handle)
    if (local && local.status !== 'deleted') return { did: local.did }
    // Not ours: ask DNS / the handle's host, unless it sits under our domains (then it doesn't exist).
    if (!serviceDomainOf(handle, ctx.config.handleDomains)) {
      const did = await ctx.idResolver.handle.resolve(handle).catch(() => undefined)
      if (did) return { did }
    }
    throw invalidRequest('Unable to resolve handle', 'HandleNotFound')
  },
})

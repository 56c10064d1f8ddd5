/**
 * Scope data through the control socket, for local programs (connectors,
 * the CLI): upload a file into a scope, delete a record by key, a whole
 * scope, or everything collected before a date. The same services as the
 * owner's XRPC methods (src/scope/scope-eraser.ts, scope-blobs.ts).
 */
import { controlRoute } from '../control-route.js'
import { accountNamed, jsonBody, optionalString } from '../control-input.js'
import { invalidRequest } from '../../errors/hearth-error.js'
import { ensureValidScopeName } from '../../scope/scope-name.js'

export const scopeRoutes = [
  controlRoute({
    method: 'POST',
    path: '/scopes/:account/:scope/blobs',
    description: 'Upload a file into a scope (body: the bytes, content-type: its type; up to HEARTH_MAX_INGEST_BYTES) → { blob }',
    maxBodyBytes: Infinity, // HEARTH_MAX_INGEST_BYTES, enforced while storing
    async handler(c, ctx) {
      const account = accountNamed(ctx, c.req.param('account'))
      const scope = ensureValidScopeName(c.req.param('scope') ?? '')
      if (account.status !== 'active') throw invalidRequest(`Account ${account.did} is ${account.status}`, 'AccountDeactivated')
      const body = c.req.raw.body
      if (!body) throw invalidRequest('No file in the request body')
      const mimeType = (c.req.header('content-type') ?? 'application/octet-stream').split(';')[0].trim().toLowerCase()
      const blob = await ctx.scopes.blobs.upload(account.did, scope, body, mimeType, ctx.config.maxIngestBytes)
      return c.json({ blob: { $type: 'blob', ref: { $link: blob.cid }, mimeType: blob.mimeType, size: blob.size } })
    },
  }),
  controlRoute({
    method: 'DELETE',
    path: '/scopes/:account/:scope/records/:key',
    description: 'Delete one record of a scope by key (erased); 404 when there is none',
    async handler(c, ctx) {
      const account = accountNamed(ctx, c.req.param('account'))
      return c.json(await ctx.scopes.eraser.deleteRecord(account.did, c.req.param('scope') ?? '', c.req.param('key') ?? ''))
    },
  }),
  controlRoute({
    method: 'DELETE',
    path: '/scopes/:account/:scope',
    description: 'Delete a whole scope with everything in it (erased)',
    async handler(c, ctx) {
      const account = accountNamed(ctx, c.req.param('account'))
      return c.json(await ctx.scopes.eraser.deleteScope(account.did, c.req.param('scope') ?? ''))
    },
  }),
  controlRoute({
    method: 'POST',
    path: '/scopes/:account/delete-before',
    description: 'Delete everything collected before a date: { before, scope? } (no scope: all of the account\'s scopes)',
    async handler(c, ctx) {
      const account = accountNamed(ctx, c.req.param('account'))
      const body = await jsonBody(c, 64 * 1024)
      const before = optionalString(body, 'before')
      if (!before) throw invalidRequest('before (an ISO datetime) is required')
      return c.json({ scopes: await ctx.scopes.eraser.deleteBefore(account.did, optionalString(body, 'scope') ?? null, before) })
    },
  }),
]

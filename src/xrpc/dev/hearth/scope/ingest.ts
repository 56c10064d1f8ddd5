/**
 * dev.hearth.scope.ingest: the signed-in owner sends `{ scope, data, key? }`
 * (`data` one JSON object or an array of them) or `{ scope, items: [{ key?,
 * data }] }`; all of it becomes one commit
 * of the scope repository. The body may be far larger than other XRPC
 * input (HEARTH_MAX_INGEST_BYTES, 50 MB by default), so it is read here,
 * under that limit, rather than by the router.
 */
import { xrpcMethod } from '../../../xrpc-router.js'
import { readBodyOnce } from '../../../request-body.js'
import { HearthError, XrpcError, invalidRequest } from '../../../xrpc-error.js'
import { ensureValidScopeName } from '../../../../scope/scope-name.js'
import { ingestItems } from '../../../../scope/ingest-items.js'

const NSID = 'dev.hearth.scope.ingest'

export default xrpcMethod({
  nsid: NSID,
  auth: 'access',
  rawInput: true,
  async handler({ ctx, c, auth }) {
    const limit = ctx.config.maxIngestBytes
    const tooLarge = () => new XrpcError(413, 'PayloadTooLarge', `Request body is larger than ${limit} bytes (HEARTH_MAX_INGEST_BYTES): split the batch`)
    if (Number(c.req.header('content-length') ?? 0) > limit) throw tooLarge()
    const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase()
    if (type !== 'application/json') throw invalidRequest(`${NSID} takes application/json input (got ${type || 'no content type'})`)
    const raw = await readBodyOnce(c.req.raw, limit).catch((err) => {
      throw err instanceof HearthError && err.kind === 'too-large' ? tooLarge() : err
    })
    let body: unknown
    try {
      body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw))
    } catch {
      throw invalidRequest('Request body is not valid JSON')
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalidRequest('Input must be an object { scope, data, key? } or { scope, items }')
    const { scope } = body as { scope?: unknown }
    ensureValidScopeName(scope)
    const items = ingestItems(body as Record<string, unknown>)
    try {
      ctx.lexicons.assertValidXrpcInput(NSID, body)
    } catch (err) {
      throw invalidRequest(`Input: ${(err as Error).message}`)
    }
    return ctx.scopes.ingest.ingest(auth!.did, scope as string, items)
  },
})

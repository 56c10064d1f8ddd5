/**
 * Ingest through the control socket: a batch of JSON objects becomes one
 * commit (all or nothing). The CLI splits a file into batches and calls this
 * once per batch.
 *
 * Body: `{ repo, collection, records: object[], validate? }` writes records
 * into a collection of the public repo (an object without `$type` gets the
 * collection as its type; rkeys are TIDs). `{ repo, scope, records }` is the
 * same call for a scope (or `{ repo, scope, items: [{ key?, data }] }`, or
 * `records` with `key` for one keyed object): each object becomes a dev.hearth.scope.record of the
 * scope's own repository (src/scope/scope-ingest.ts). The budget is the ingest one
 * (much larger than a client's), 3 points per record.
 */
import { controlRoute } from '../control-route.js'
import { accountNamed, jsonBody } from '../control-input.js'
import { prepareWrite } from '../../repo/prepare-writes.js'
import { ingestItems } from '../../scope/ingest-items.js'
import { WRITE_POINTS } from '../../ops/rate-limits.js'
import { HearthError, invalidRequest } from '../../errors/hearth-error.js'
import type { AppContext } from '../../context.js'

/** Most records one call may carry: one commit, built in memory. */
export const MAX_INGEST_RECORDS = 5000

export const ingestRoutes = [
  controlRoute({
    method: 'POST',
    path: '/ingest',
    description: `Write a batch of objects in one commit: { repo, collection | scope, records: [...≤${MAX_INGEST_RECORDS}] (or for a scope items: [{ key?, data }]), validate? }`,
    maxBodyBytes: Infinity, // HEARTH_CONTROL_INGEST_MAX_BYTES, read below
    async handler(c, ctx) {
      const body = await jsonBody(c, ctx.config.controlIngestMaxBytes)
      const account = accountNamed(ctx, typeof body.repo === 'string' ? body.repo : undefined)
      if (account.status !== 'active') throw invalidRequest(`Account ${account.did} is ${account.status}`, 'AccountDeactivated')
      if (body.scope !== undefined) {
        // One commit of the scope repository; the scope name is checked there (400 InvalidScope).
        const items = ingestItems(body, 'records')
        if (items.length > MAX_INGEST_RECORDS) throw invalidRequest(`At most ${MAX_INGEST_RECORDS} records per call: split the batch`)
        ctx.rateLimits.take([{ limiter: ctx.rateLimits.ingestPerHour, key: account.did }], WRITE_POINTS.create * items.length)
        const result = await ctx.scopes.ingest.ingest(account.did, body.scope as string, items)
        return c.json({ repo: account.did, ...result, commit: { cid: result.commit, rev: result.rev } })
      }
      const records = body.records
      if (!Array.isArray(records) || records.length === 0) throw invalidRequest('records must be a non-empty array of objects')
      if (records.length > MAX_INGEST_RECORDS) throw invalidRequest(`At most ${MAX_INGEST_RECORDS} records per call: split the batch`)
      records.forEach((r, i) => {
        if (!r || typeof r !== 'object' || Array.isArray(r)) throw invalidRequest(`records[${i}] is not a JSON object`)
      })
      if (body.validate !== undefined && typeof body.validate !== 'boolean') throw invalidRequest('validate must be true or false')
      ctx.rateLimits.take([{ limiter: ctx.rateLimits.ingestPerHour, key: account.did }], WRITE_POINTS.create * records.length)

      if (typeof body.collection !== 'string') throw invalidRequest('collection (an NSID) or scope is required')
      const result = await ingestIntoCollection(ctx, account.did, body.collection, records as Record<string, unknown>[], body.validate)
      return c.json({ repo: account.did, collection: body.collection, ...result })
    },
  }),
]

/** One commit creating every record, each with a fresh TID rkey. */
export async function ingestIntoCollection(
  ctx: AppContext,
  did: string,
  collection: string,
  records: Record<string, unknown>[],
  validate?: boolean,
) {
  const writes = records.map((r, i) => {
    try {
      return prepareWrite({ action: 'create', collection, record: '$type' in r ? r : { $type: collection, ...r }, validate }, ctx.recordValidator)
    } catch (err) {
      if (err instanceof HearthError) err.message = `records[${i}]: ${err.message}`
      throw err
    }
  })
  const { commit, results } = await ctx.committer.applyWrites(did, writes)
  return { commit, results: results.map((r) => ({ uri: r.uri, cid: r.cid! })) }
}

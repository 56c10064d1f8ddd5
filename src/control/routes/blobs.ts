/**
 * Blob collection on demand: list what no record references (and whether
 * the collector would delete it now), and run the collector now.
 */
import { controlRoute, type ControlRoute } from '../control-route.js'
import { jsonBody, optionalInt } from '../control-input.js'
import { invalidRequest } from '../../errors/hearth-error.js'

export const blobRoutes: ControlRoute[] = [
  controlRoute({
    method: 'GET',
    path: '/blobs/orphans',
    description: 'Blobs no record references: uploads waiting for one and blobs in their grace period, each with whether a purge now deletes it (?limit=, ?olderThanSec=)',
    handler(c, ctx) {
      const limit = queryInt(c.req.query('limit'), 'limit', 1, 100_000, 1000)
      const olderThanSec = queryInt(c.req.query('olderThanSec'), 'olderThanSec', 0, 10 * 365 * 86400, undefined)
      const orphans = ctx.blobCollector.orphans({ limit, olderThanSec })
      return c.json({
        store: ctx.blobStore.description,
        tempTtlSec: ctx.config.blobTempTtlSec,
        graceSec: ctx.config.blobGraceSec,
        count: orphans.length,
        due: orphans.filter((o) => o.due).length,
        orphans,
      })
    },
  }),
  controlRoute({
    method: 'POST',
    path: '/blobs/purge',
    description: 'Run the blob collector now: deletes expired uploads, blobs past their grace, deleted accounts\' leftovers ({ olderThanSec } overrides the TTL and grace)',
    async handler(c, ctx) {
      const body = await jsonBody(c, 4096)
      const olderThanSec = body.olderThanSec === undefined ? undefined : optionalInt(body, 'olderThanSec', 0, 10 * 365 * 86400, 0)
      const report = await ctx.blobCollector.runNow({ olderThanSec })
      return c.json(report)
    },
  }),
]

function queryInt<D extends number | undefined>(raw: string | undefined, name: string, min: number, max: number, def: D): number | D {
  if (raw === undefined || raw === '') return def
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw invalidRequest(`${name} must be a whole number from ${min} to ${max}`)
  return Number(raw)
}

/**
 * Running the server: status, metrics, repo export, backup, crawl requests.
 */
import path from 'node:path'
import { controlRoute, type ControlRoute } from '../control-route.js'
import { accountNamed, jsonBody, optionalString } from '../control-input.js'
import { HearthError, RepoNotFound, invalidRequest } from '../../errors/hearth-error.js'
import { BackupError, backupServer } from '../../ops/backup.js'
import { databaseSizeBytes } from '../../observability/metrics.js'
import type { AppContext } from '../../context.js'

export interface OperationHooks {
  /** Asks the configured relays to crawl now; returns the relays asked (none configured: empty). */
  requestCrawl?: () => string[]
}

const startedAt = new Date()

export function operationRoutes(hooks: OperationHooks): ControlRoute[] {
  let backupRunning = false
  return [
    controlRoute({
      method: 'GET',
      path: '/status',
      description: 'Server status: version, uptime, accounts, newest seq, database size, firehose subscribers',
      handler(c, ctx) {
        return c.json(status(ctx))
      },
    }),
    controlRoute({
      method: 'GET',
      path: '/metrics',
      description: 'Prometheus metrics (text exposition format)',
      async handler(c, ctx) {
        const { body, contentType } = await ctx.metrics.text()
        return c.body(body, 200, { 'content-type': contentType })
      },
    }),
    controlRoute({
      method: 'GET',
      path: '/accounts/:account/repo.car',
      description: "Export an account's public repository as a CAR file (one consistent snapshot)",
      handler(c, ctx) {
        const account = accountNamed(ctx, c.req.param('account'))
        const car = ctx.repoReader.exportCar(account.did)
        if (!car) throw new RepoNotFound(`No repository for ${account.did}`, 'not-found')
        return new Response(car, {
          headers: { 'content-type': 'application/vnd.ipld.car', 'x-hearth-did': account.did },
        })
      },
    }),
    controlRoute({
      method: 'POST',
      path: '/backup',
      description: 'Online backup of database, blobs, secrets and PLC log to { dest } (an absent or empty folder, absolute path)',
      async handler(c, ctx) {
        const body = await jsonBody(c, 64 * 1024)
        const dest = optionalString(body, 'dest')
        if (!dest || !path.isAbsolute(dest)) throw invalidRequest('dest must be an absolute folder path')
        if (backupRunning) throw new HearthError('conflict', 'BackupRunning', 'A backup is already running')
        backupRunning = true
        try {
          const manifest = await backupServer({ db: ctx.db, config: ctx.config, dest })
          ctx.logger.info({ dest, lastSeq: manifest.lastSeq, ms: manifest.ms }, 'backup written')
          return c.json({ dest, ...manifest })
        } catch (err) {
          if (err instanceof BackupError) throw invalidRequest(err.message, 'BackupFailed')
          throw err
        } finally {
          backupRunning = false
        }
      },
    }),
    controlRoute({
      method: 'POST',
      path: '/crawl',
      description: 'Ask the relays in HEARTH_CRAWLERS to crawl this server now',
      handler(c) {
        if (!hooks.requestCrawl) throw new HearthError('not-implemented', 'NotImplemented', 'Crawl requests are not wired into this server')
        const crawlers = hooks.requestCrawl()
        return c.json({ crawlers, requested: crawlers.length > 0 })
      },
    }),
  ]
}

function status(ctx: AppContext) {
  const accounts: Record<string, number> = {}
  for (const row of ctx.accounts.countByStatus()) accounts[row.status] = row.count
  return {
    service: 'hearth',
    version: '0.1.0',
    startedAt: startedAt.toISOString(),
    uptimeSec: Math.round(process.uptime()),
    publicUrl: ctx.config.publicUrl,
    serviceDid: ctx.config.serviceDid,
    dataDir: ctx.config.dataDir,
    registration: ctx.config.registration,
    plcUrl: ctx.plc.url,
    embeddedPlc: ctx.embeddedPlc !== null,
    accounts,
    lastSeq: ctx.eventLog.lastSeq(),
    databaseBytes: databaseSizeBytes(ctx.db),
    firehoseSubscribers: ctx.metrics.firehose.subscriberCount(),
    rateLimits: ctx.rateLimits.enabled ? 'on' : 'off',
    metricsPublic: ctx.config.metricsPublic,
  }
}

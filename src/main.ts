/**
 * `npm start`: Hearth standalone, on @hono/node-server, configured from the
 * environment. The port answers /xrpc/_health as soon as the database is
 * open; SIGTERM/SIGINT close it cleanly (src/ops/lifecycle.ts).
 */
import { serve } from '@hono/node-server'
import type { Server } from 'node:http'
import type { Pds } from './index.js'
import { ConfigError, loadConfig } from './config.js'
import { createLogger } from './logger.js'
import { shutdownOnce, startupGate, trackRequests } from './ops/lifecycle.js'
import { leanFirst } from './ops/lean-first.js'

async function main() {
  let config
  try {
    config = loadConfig(process.env)
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`hearth: bad configuration: ${err.message}`)
      process.exit(2)
    }
    throw err
  }
  const logger = createLogger(config.logLevel)
  const gate = startupGate()
  let pds: Pds | null = null
  // The lean paths answer the hottest public reads and the repository writes before @hono/node-server's listener
  // (src/xrpc/lean-reads.ts, lean-writes.ts, src/ops/lean-first.ts), only while the gate lets requests through to Hearth.
  const createServer = leanFirst(() => (gate.isReady() ? (pds?.lean ?? null) : null))
  const server = serve({ fetch: gate.fetch, port: config.port, hostname: config.host, createServer }, (info) => {
    logger.info({ port: info.port, publicUrl: config.publicUrl, dataDir: config.dataDir }, 'hearth listening')
  }) as Server
  // A taken or forbidden port is the operator's to fix: say which, and how, not a stack trace.
  server.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
      const why =
        err.code === 'EADDRINUSE'
          ? 'is already in use by another process'
          : err.code === 'EACCES'
            ? 'may not be opened by this user'
            : 'names an address this machine does not have'
      console.error(`hearth: cannot listen on ${config.host}:${config.port}: the port ${why}. Set HEARTH_PORT (and HEARTH_HOST) to choose another.`)
      process.exit(1)
    }
    console.error('hearth: the HTTP server failed:', err)
    process.exit(1)
  })
  const requests = trackRequests(server)
  server.on('upgrade', (req, socket, head) => {
    if (!pds?.upgrade(req, socket, head)) socket.destroy()
  })
  // Loaded only once the configuration is known to be good, so a bad setting is reported at once.
  const { createPds } = await import('./index.js')
  const starting = createPds(config, { onDatabaseOpen: gate.databaseOpen })
  const stop = shutdownOnce({
    server,
    gate,
    requests,
    closePds: async () => (await starting.catch(() => null))?.close(),
    timeoutMs: config.shutdownTimeoutMs,
    log: (msg, extra) => logger.info(extra ?? {}, msg),
    exit: (code) => process.exit(code),
  })
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down')
    void stop()
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  pds = await starting
  gate.ready(pds.app.fetch)
  logger.info({ controlSocket: pds.controlSocket }, 'hearth ready')
}

main().catch((err) => {
  console.error('hearth: failed to start:', err)
  process.exit(1)
})

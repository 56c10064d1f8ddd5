/**
 * `npm start`: Hearth standalone, on @hono/node-server, configured from the
 * environment. SIGTERM/SIGINT close it cleanly.
 */
import { serve } from '@hono/node-server'
import { createPds, loadConfig } from './index.js'
import { ConfigError } from './config.js'

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
  const pds = await createPds(config)
  const server = serve({ fetch: pds.app.fetch, port: config.port, hostname: config.host }, (info) => {
    pds.ctx.logger.info({ port: info.port, publicUrl: config.publicUrl, dataDir: config.dataDir }, 'hearth listening')
  })
  server.on('upgrade', (req, socket, head) => {
    if (!pds.upgrade(req, socket, head)) socket.destroy()
  })
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    pds.ctx.logger.info({ signal }, 'shutting down')
    const timer = setTimeout(() => process.exit(1), 10_000)
    timer.unref()
    server.close()
    await pds.close()
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
}

main().catch((err) => {
  console.error('hearth: failed to start:', err)
  process.exit(1)
})

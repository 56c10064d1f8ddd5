/**
 * The control socket's listener: the control app on @hono/node-server,
 * bound to a Unix socket created with mode 0600 (umask set around the bind,
 * so there is no moment where others could connect), in the data folder
 * (0700) by default. A stale socket file left by a crash is replaced; a live
 * one (another Hearth on the same data) stops start-up.
 *
 * @example
 * const control = await startControlSocket(buildControlApp(ctx), '/srv/hearth/control.sock')
 * await control.close()
 */
import fs from 'node:fs'
import net from 'node:net'
import type { Server } from 'node:http'
import type { Hono } from 'hono'
import { createAdaptorServer } from '@hono/node-server'

export interface ControlSocket {
  path: string
  /** Stops accepting, lets requests in flight finish (up to `graceMs`), removes the socket file. */
  close(graceMs?: number): Promise<void>
}

export async function startControlSocket(app: Hono, socketPath: string): Promise<ControlSocket> {
  await removeStaleSocket(socketPath)
  const server = createAdaptorServer({ fetch: app.fetch }) as Server
  let inFlight = 0
  let idle: (() => void) | null = null
  server.on('request', (_req, res) => {
    inFlight++
    res.once('close', () => {
      inFlight--
      if (inFlight === 0) idle?.()
    })
  })
  await listenPrivately(server, socketPath)
  return {
    path: socketPath,
    async close(graceMs = 5000) {
      server.close()
      server.closeIdleConnections()
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          idle = resolve
          setTimeout(resolve, graceMs).unref()
        })
      }
      server.closeAllConnections()
      fs.rmSync(socketPath, { force: true })
    },
  }
}

async function listenPrivately(server: Server, socketPath: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    let previous: number | null = null
    try {
      // umask cannot be changed in worker threads; chmod below still applies there.
      previous = process.umask(0o177)
    } catch {
      previous = null
    }
    try {
      server.listen(socketPath, () => {
        server.off('error', reject)
        resolve()
      })
    } finally {
      if (previous !== null) process.umask(previous)
    }
  })
  fs.chmodSync(socketPath, 0o600)
}

async function removeStaleSocket(socketPath: string): Promise<void> {
  let stat: fs.Stats
  try {
    stat = fs.lstatSync(socketPath)
  } catch {
    return
  }
  if (!stat.isSocket()) throw new Error(`${socketPath} exists and is not a socket: move it away or set HEARTH_CONTROL_SOCKET`)
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect(socketPath)
    probe.once('connect', () => {
      probe.destroy()
      resolve(true)
    })
    probe.once('error', () => resolve(false))
  })
  if (live) throw new Error(`Another server is listening on ${socketPath}: is Hearth already running on this data folder?`)
  fs.rmSync(socketPath, { force: true })
}

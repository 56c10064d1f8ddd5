/**
 * One helper to start a whole Hearth for a test: a real PLC directory on
 * loopback (shared by the file's servers unless one is passed), Hearth on a
 * free loopback port, a temp data folder, and AtpAgents for it.
 *
 * @example
 * const server = await startTestServer()
 * const alice = await server.createAccount('alice')
 * await alice.agent.com.atproto.repo.createRecord({ ... })
 * await server.close()
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { AtpAgent } from '@atproto/api'
import { createPds, loadConfig, type Config, type Pds } from '../../src/index.js'
import { startEmbeddedPlc, type EmbeddedPlc } from '../../src/identity/embedded-plc.js'
import { pdsContext } from '../../src/embed/internals.js'
import { leanFirst } from '../../src/ops/lean-first.js'
import type { AppContext } from '../../src/context.js'

export interface TestAccount {
  did: string
  handle: string
  password: string
  agent: AtpAgent
}

export interface TestServer {
  url: string
  plcUrl: string
  dataDir: string
  /** The Pds, with its wiring (`ctx`) reachable for tests: not part of the public face. */
  pds: TestPds
  /** An agent with no session. */
  agent(): AtpAgent
  /** Creates an account (registration is open on test servers) and logs an agent in. */
  createAccount(name?: string): Promise<TestAccount>
  /** Stops Hearth (and the PLC directory if this server started it); keeps the data folder unless `removeData`. */
  close(opts?: { removeData?: boolean }): Promise<void>
}

export type TestPds = Pds & { ctx: AppContext }

/** A Pds with its internal wiring attached, for tests that look inside. */
export function withContext(pds: Pds): TestPds {
  return Object.assign(pds, { ctx: pdsContext(pds) })
}

let counter = 0

export async function startTestPlc(): Promise<EmbeddedPlc> {
  return startEmbeddedPlc()
}

export async function startTestServer(
  opts: { plc?: EmbeddedPlc; dataDir?: string; env?: Record<string, string>; config?: Partial<Config> } = {},
): Promise<TestServer> {
  const ownPlc = !opts.plc
  const plc = opts.plc ?? (await startTestPlc())
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-test-'))
  // Reserve a port first: publicUrl must name it before the server starts.
  const port = opts.config?.port ?? (await freePort())
  const config = loadConfig(
    {
      HEARTH_PORT: String(port),
      HEARTH_DATA_DIR: dataDir,
      HEARTH_PLC_URL: plc.url,
      HEARTH_PUBLIC_URL: `http://localhost:${port}`,
      HEARTH_HANDLE_DOMAIN: '.test',
      HEARTH_REGISTRATION: 'open',
      HEARTH_LOG_LEVEL: 'silent',
      HEARTH_VALIDATE_OUTPUT: 'true',
      // Test rigs run many sessions from one address; tests of the limits turn them on.
      HEARTH_RATE_LIMITS: 'off',
      ...opts.env,
    },
    opts.config,
  )
  const pds = withContext(await createPds(config))
  const server: ServerType = await new Promise((resolve) => {
    // As `npm start` serves it: the lean paths first (src/xrpc/lean-reads.ts, lean-writes.ts), then the app.
    const s = serve({ fetch: pds.app.fetch, port, hostname: '127.0.0.1', createServer: leanFirst(() => pds.lean) }, () => resolve(s))
  })
  server.on('upgrade', (req, socket, head) => {
    if (!pds.upgrade(req, socket, head)) socket.destroy()
  })
  const url = `http://localhost:${port}`
  return {
    url,
    plcUrl: plc.url,
    dataDir,
    pds,
    agent: () => new AtpAgent({ service: url }),
    async createAccount(name?: string) {
      const handle = `${name ?? 'user'}${++counter}`.slice(0, 18) + '.test'
      const password = `pw-${handle}-secret`
      const agent = new AtpAgent({ service: url })
      await agent.createAccount({ handle, password, email: `${handle}@example.com` })
      return { did: agent.session!.did, handle, password, agent }
    },
    async close({ removeData = false } = {}) {
      // Stop accepting, then close Hearth (which ends its WebSockets: the HTTP
      // server's close would otherwise wait on them), then the connections left.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      await pds.close()
      ;(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
      await closed
      // The connections are closed on this side now, but a client in this
      // process (fetch's keep-alive pool) only notices once the event loop
      // has polled its sockets. A server restarted on the same port is up
      // without such a turn in between, and the next request would go out
      // on the dead socket ("other side closed"). One timer turn lets every
      // pooled socket see its end first.
      await new Promise((resolve) => setTimeout(resolve, 5))
      if (ownPlc) await plc.close()
      if (removeData) fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/**
 * A loopback port nothing listens on, for a server that binds it later (a
 * child process, a restart on the same port). It is drawn from below the
 * kernel's ephemeral range: a port the kernel handed out for `listen(0)`
 * and closed again can be taken meanwhile by any outgoing connection of any
 * test process (they draw from that range), which then makes the later
 * bind fail with EADDRINUSE. Below the range only another caller of this
 * function could take it, one chance in thousands.
 */
export async function freePort(): Promise<number> {
  const [low, high] = unassignedRange()
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low))
    if (handedOut.has(port)) continue
    if (await canListen(port)) {
      handedOut.add(port)
      return port
    }
  }
  throw new Error(`no free loopback port in ${low}–${high}`)
}

/** Ports this process was given already (a restart reuses its own, another server must not get it). */
const handedOut = new Set<number>()

let range: [number, number] | null = null

/** Read once per process: the kernel's setting does not change under a test run. */
function unassignedRange(): [number, number] {
  if (range) return range
  let ephemeralLow = 32768
  try {
    ephemeralLow = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || ephemeralLow
  } catch {
    // not Linux: the common default
  }
  range = [Math.max(1024, ephemeralLow - 12_000), ephemeralLow]
  return range
}

async function canListen(port: number): Promise<boolean> {
  const net = await import('node:net')
  return new Promise((resolve) => {
    const s = net.createServer()
    s.once('error', () => resolve(false))
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
  })
}

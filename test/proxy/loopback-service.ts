/**
 * A service Hearth forwards calls to, for the proxy's own edge cases
 * (headers, streaming, timeouts, failures): a plain Node HTTP server on
 * loopback whose answer each test sets, with its own did:plc in the test's
 * PLC directory naming it as a service. Where the real AppView is needed,
 * test/network/appview.slow.test.ts runs it; this one only stands where
 * Hearth's own forwarding is under test.
 *
 * @example
 * const svc = await LoopbackService.start(server.plcUrl, { services: { '#test_svc': true } })
 * svc.answer = (req, res) => res.end('{}')
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import * as plc from '@did-plc/lib'
import { Secp256k1Keypair } from '@atproto/crypto'

export interface SeenRequest {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  body: Buffer
}

export type Answer = (req: http.IncomingMessage, res: http.ServerResponse, body: () => Promise<Buffer>) => void | Promise<void>

export class LoopbackService {
  /** Every request received, in order. */
  readonly seen: SeenRequest[] = []
  answer: Answer = (_req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end('{}')
  }

  private constructor(
    readonly server: http.Server,
    readonly url: string,
    readonly did: string,
  ) {}

  /**
   * Starts it and registers its DID, with each of `services` (id → endpoint,
   * or `true` for this server's own URL) in its DID document.
   */
  static async start(plcUrl: string, opts: { services: Record<string, string | true> }): Promise<LoopbackService> {
    let self!: LoopbackService
    const server = http.createServer((req, res) => {
      let bodyPromise: Promise<Buffer> | null = null
      const body = () =>
        (bodyPromise ??= new Promise<Buffer>((resolve, reject) => {
          const chunks: Buffer[] = []
          req.on('data', (c: Buffer) => chunks.push(c))
          req.on('end', () => resolve(Buffer.concat(chunks)))
          req.on('error', reject)
        }))
      const record: SeenRequest = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.alloc(0) }
      self.seen.push(record)
      Promise.resolve(self.answer(req, res, body))
        .then(async () => {
          if (bodyPromise) record.body = await bodyPromise
        })
        .catch((err) => {
          if (!res.headersSent) res.writeHead(500)
          res.end(String(err))
        })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
    const url = `http://localhost:${(server.address() as AddressInfo).port}`
    const key = await Secp256k1Keypair.create()
    const client = new plc.Client(plcUrl)
    const did = await client.createDid({ signingKey: key.did(), rotationKeys: [key.did()], handle: 'svc.test', pds: url, signer: key })
    await client.updateData(did, key, (op) => {
      const services = { ...op.services }
      for (const [id, endpoint] of Object.entries(opts.services)) {
        services[id.replace(/^#/, '')] = { type: 'TestService', endpoint: endpoint === true ? url : endpoint }
      }
      return { ...op, services }
    })
    self = new LoopbackService(server, url, did)
    return self
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

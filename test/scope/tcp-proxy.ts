/**
 * A TCP proxy in front of a test server, standing for the network between
 * an app and Hearth: it can cut every connection (and refuse new ones for a
 * while), and rewrite bytes on their way to the client (a tampering
 * middlebox; WebSocket frames from a server are not masked, so a string in
 * a frame is a string on the wire).
 *
 * @example
 * const proxy = await TcpProxy.start(server.url)
 * proxy.cut(500)                    // drop everything, refuse for 500 ms
 * proxy.rewrite = ['Ada', 'Eve']    // same length: frame sizes stay right
 */
import net from 'node:net'
import type { AddressInfo } from 'node:net'

export class TcpProxy {
  rewrite: [string, string] | null = null
  private sockets = new Set<net.Socket>()
  private refuseUntil = 0

  private constructor(
    private server: net.Server,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<TcpProxy> {
    const { hostname, port } = new URL(target)
    let proxy!: TcpProxy
    const server = net.createServer((client) => {
      if (Date.now() < proxy.refuseUntil) return void client.destroy()
      const upstream = net.connect(Number(port), hostname === 'localhost' ? '127.0.0.1' : hostname)
      proxy.sockets.add(client).add(upstream)
      client.on('data', (d) => upstream.write(d))
      upstream.on('data', (d: Buffer) => {
        if (proxy.rewrite) {
          const at = d.indexOf(proxy.rewrite[0])
          if (at >= 0) d.write(proxy.rewrite[1], at)
        }
        client.write(d)
      })
      const end = () => {
        client.destroy()
        upstream.destroy()
        proxy.sockets.delete(client)
        proxy.sockets.delete(upstream)
      }
      client.on('close', end).on('error', end)
      upstream.on('close', end).on('error', end)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    proxy = new TcpProxy(server, `http://localhost:${(server.address() as AddressInfo).port}`)
    return proxy
  }

  /** Drops every open connection and refuses new ones for `ms`. */
  cut(ms: number): void {
    this.refuseUntil = Date.now() + ms
    for (const s of this.sockets) s.destroy()
    this.sockets.clear()
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    return new Promise((r) => this.server.close(() => r()))
  }
}

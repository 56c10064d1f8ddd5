/**
 * The public port never serves a control route: every route the control
 * socket lists, probed on the public port with every method, spoofed
 * headers (Host, X-Forwarded-*, rewrite headers) and encoded or dotted paths,
 * answers 404 — while the same route answers on the socket.
 */
import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/test-server.js'
import { ControlClient } from '../../src/control/control-client.js'

interface RawResponse {
  status: number
  body: string
}

/** A request sent byte for byte as given (fetch would normalise the path). */
function rawRequest(port: number, method: string, path: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body = method === 'GET' || method === 'HEAD' ? undefined : '{}'
    const sized = body ? { ...headers, 'content-length': String(body.length) } : headers
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: sized, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** The same path, disguised every way a proxy or router might undo. */
function disguises(path: string): string[] {
  const bare = path.slice(1)
  const encodedSlashes = '/' + bare.replace(/\//g, '%2F')
  const encodedFirst = '/' + encodeURIComponent(bare[0]).replace(/^([a-z])$/i, (ch) => `%${ch.charCodeAt(0).toString(16)}`) + bare.slice(1)
  return [
    path,
    `/${path}`,
    `//${bare}`,
    `${path}/`,
    `/.${path}`,
    `/./${bare}`,
    `/xrpc/..${path}`,
    `/xrpc/%2e%2e${path}`,
    `/xrpc/..%2F${bare}`,
    `/%2F${bare}`,
    encodedSlashes,
    encodedFirst,
    `/.;${path}`,
    `${path};`,
    `${path}%00`,
    `${path}?via=control`,
    path.toUpperCase(),
    `/control${path}`,
    `http://localhost${path}`,
    `http://unix:/control.sock:${path}`,
  ]
}

const SPOOFS: Record<string, string>[] = [
  {},
  { host: 'localhost' },
  { host: 'control.sock' },
  { host: 'unix' },
  { 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1', forwarded: 'for=127.0.0.1;proto=http;host=localhost' },
  { 'x-forwarded-host': 'localhost', 'x-forwarded-proto': 'unix', 'x-forwarded-prefix': '/' },
]

describe('control routes on the public port', () => {
  let server: TestServer
  let did: string
  let port: number
  beforeAll(async () => {
    server = await startTestServer()
    port = Number(new URL(server.url).port)
    did = (await server.createAccount('probe')).did
  })
  afterAll(() => server.close({ removeData: true }))

  it('every route, method, disguise and spoofed header gets 404 in public, while the socket serves it', async () => {
    const control = new ControlClient(server.pds.controlSocket!)
    const { routes } = await control.json<{ routes: { method: string; path: string }[] }>('GET', '/')
    expect(routes.length).toBeGreaterThan(10)
    // The socket does answer these routes (a 404 here would make the public 404s meaningless).
    expect((await control.request('GET', `/accounts/${encodeURIComponent(did)}`)).statusCode).toBe(200)
    expect((await control.request('GET', '/metrics')).statusCode).toBe(200)

    let probes = 0
    const leaks: string[] = []
    for (const route of routes) {
      const path = route.path.replace(':account', encodeURIComponent(did)).replace(':code', 'some-code').replace(':scope', 'probe.scope').replace(':key', 'probe-key')
      const methods = [...new Set([route.method, 'GET', 'POST', 'PUT', 'DELETE', 'PATCH'])]
      for (const method of methods) {
        for (const probe of disguises(path)) {
          for (const spoof of SPOOFS) {
            const headers = { ...spoof, 'x-original-url': path, 'x-rewrite-url': path, 'content-type': 'application/json' }
            let res: RawResponse
            try {
              res = await rawRequest(port, method, probe, headers)
            } catch {
              continue // the HTTP parser refused the request line outright: nothing was served
            }
            probes++
            const servedControl = /hearth-control|"routes"|"accounts"|"codes"|hearth_http_requests_total|"lastSeq"/.test(res.body)
            const acceptable = res.status === 404 || (route.path === '/' && method === 'GET' && !servedControl)
            if (!acceptable || servedControl) leaks.push(`${method} ${probe} ${JSON.stringify(spoof)} → ${res.status} ${res.body.slice(0, 80)}`)
          }
        }
      }
    }
    expect(leaks).toEqual([])
    expect(probes).toBeGreaterThan(1000)
    // Nothing changed through all those POSTs and DELETEs.
    expect(server.pds.ctx.accounts.get(did)?.status).toBe('active')
    expect(server.pds.ctx.invites.list()).toHaveLength(0)
  }, 240_000) // ~20 routes × 6 methods × 20 disguises × 6 header sets, one request at a time

  it('/metrics is not public unless HEARTH_METRICS_PUBLIC=true', async () => {
    const res = await fetch(`${server.url}/metrics`)
    expect(res.status).toBe(404)
    const open = await startTestServer({ env: { HEARTH_METRICS_PUBLIC: 'true', HEARTH_CONTROL_SOCKET: 'off' } })
    try {
      expect(open.pds.controlSocket).toBeNull()
      const metrics = await fetch(`${open.url}/metrics`)
      expect(metrics.status).toBe(200)
      expect(await metrics.text()).toMatch(/^# TYPE hearth_http_requests_total counter$/m)
      // Still no control route in public, socket or not.
      expect((await fetch(`${open.url}/status`)).status).toBe(404)
    } finally {
      await open.close({ removeData: true })
    }
  })
})

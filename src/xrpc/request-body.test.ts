import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Hono } from 'hono'
import { serve } from '@hono/node-server'
import { readBodyOnce, readLimited } from './request-body.js'
import { XrpcError } from './xrpc-error.js'

const LIMIT = 1000

/** A request whose Content-Length header says one thing and whose body holds another (a host may build one). */
function lyingRequest(size: number, declared: number): Request {
  const req = new Request('http://host/xrpc/x', { method: 'POST', body: new Uint8Array(size), headers: { 'content-type': 'application/json' } })
  const headers = new Headers(req.headers)
  headers.set('content-length', String(declared))
  return new Proxy(req, { get: (t, k) => (k === 'headers' ? headers : typeof (t as any)[k] === 'function' ? (t as any)[k].bind(t) : (t as any)[k]) })
}

const status = (p: Promise<unknown>) => p.then(() => 200, (err) => (err instanceof XrpcError ? err.status : 500))

describe('readLimited on web Requests', () => {
  it('reads a body with a declared length within the limit', async () => {
    const body = new TextEncoder().encode('{"a":1}')
    const req = new Request('http://host/', { method: 'POST', body, headers: { 'content-length': String(body.length) } })
    expect(Buffer.from(await readLimited(req, LIMIT)).toString()).toBe('{"a":1}')
  })

  it('refuses a declared length over the limit without reading', async () => {
    const req = new Request('http://host/', { method: 'POST', body: new Uint8Array(2000), headers: { 'content-length': '2000' } })
    expect(await status(readLimited(req, LIMIT))).toBe(413)
  })

  it('refuses a body larger than the limit whose header claims less', async () => {
    expect(await status(readLimited(lyingRequest(5000, 10), LIMIT))).toBe(413)
  })

  it('refuses a streamed body (no length) once it passes the limit', async () => {
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(new Uint8Array(400))
      },
    })
    const req = new Request('http://host/', { method: 'POST', body: stream, duplex: 'half' } as RequestInit)
    expect(await status(readLimited(req, LIMIT))).toBe(413)
  })
})

describe('readBodyOnce on @hono/node-server', () => {
  let server: http.Server
  let url: string
  beforeAll(async () => {
    const app = new Hono()
    app.post('/echo', async (c) => {
      try {
        const first = await readBodyOnce(c.req.raw, LIMIT)
        // A second reader (the router after the rate limiter) gets the same bytes.
        const second = await readBodyOnce(c.req.raw, LIMIT)
        return c.json({ same: Buffer.from(first).equals(Buffer.from(second)), text: Buffer.from(first).toString() })
      } catch (err) {
        return c.json({ error: (err as Error).message }, (err as XrpcError).status as never)
      }
    })
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as http.Server
    await new Promise<void>((r) => (server.listening ? r() : server.once('listening', () => r())))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  it('reads a body with Content-Length once, for every reader', async () => {
    const res = await fetch(`${url}/echo`, { method: 'POST', body: '{"text":"héllo"}', headers: { 'content-type': 'application/json' } })
    expect(await res.json()).toEqual({ same: true, text: '{"text":"héllo"}' })
  })

  it('reads a chunked body, and refuses one past the limit', async () => {
    const chunked = (n: number) =>
      new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < n; i++) c.enqueue(new TextEncoder().encode('x'.repeat(100)))
          c.close()
        },
      })
    const ok = await fetch(`${url}/echo`, { method: 'POST', body: chunked(3), duplex: 'half' } as RequestInit)
    expect(((await ok.json()) as { text: string }).text).toBe('x'.repeat(300))
    const big = await fetch(`${url}/echo`, { method: 'POST', body: chunked(30), duplex: 'half' } as RequestInit)
    expect(big.status).toBe(413)
  })

  it('refuses a declared length over the limit', async () => {
    const res = await fetch(`${url}/echo`, { method: 'POST', body: 'y'.repeat(LIMIT + 1) })
    expect(res.status).toBe(413)
  })
})

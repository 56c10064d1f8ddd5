import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pino from 'pino'
import { ServiceProxy } from './service-proxy.js'
import { HearthError } from '../errors/hearth-error.js'
import { httpStatusOf } from '../errors/http-answer.js'
import type { ServiceJwtIssuer } from '../auth/service-jwt-issuer.js'

let server: http.Server
let url: string
let received = 0

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.on('data', (c: Buffer) => (received += c.length))
    req.on('end', () => res.end('{}'))
    req.on('error', () => {})
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
})

const issuer = { issue: async () => 'token' } as unknown as ServiceJwtIssuer
const target = () => ({ did: 'did:web:svc.example', serviceId: '#svc', aud: 'did:web:svc.example#svc', url })

describe('ServiceProxy', () => {
  it('stops a request body past the limit with 413, having sent no more than the limit', async () => {
    const proxy = new ServiceProxy({ serviceJwts: issuer, timeoutMs: 5000, maxBodyBytes: 4096, logger: pino({ level: 'silent' }) })
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 8; i++) c.enqueue(new Uint8Array(1024))
        c.close()
      },
    })
    const req = new Request('http://hearth.example/xrpc/com.example.up', { method: 'POST', body, duplex: 'half' } as RequestInit)
    const err = await proxy.call(req, 'com.example.up', target(), 'did:plc:alice').catch((e) => e)
    expect(err).toBeInstanceOf(HearthError)
    expect({ status: httpStatusOf(err), error: err.error }).toEqual({ status: 413, error: 'PayloadTooLarge' })
    expect(received).toBeLessThanOrEqual(4096)
  })
})

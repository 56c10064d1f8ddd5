import { describe, expect, it } from 'vitest'
import { Writable } from 'node:stream'
import pino from 'pino'
import { Hono } from 'hono'
import { HearthMetrics } from './metrics.js'
import { requestObserver } from './request-observer.js'

function capture(level: string) {
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)))
      cb()
    },
  })
  return { logger: pino({ level }, sink), lines }
}

function appWith(logger: pino.Logger) {
  const app = new Hono()
  app.use('*', requestObserver({ logger, metrics: new HearthMetrics(), listener: 'public', trustProxy: false }))
  app.post('/xrpc/x.y.z', (c) => c.json({ requestId: c.get('requestId') }))
  app.get('/boom', () => {
    throw new Error('boom')
  })
  app.onError((_err, c) => c.json({ error: 'InternalServerError' }, 500))
  return app
}

describe('request observer', () => {
  it('logs one line per request with its id, method, path and status, never headers or bodies', async () => {
    const { logger, lines } = capture('info')
    const res = await appWith(logger).request('/xrpc/x.y.z?secret=q', {
      method: 'POST',
      headers: { authorization: 'Bearer very-secret-token', 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'hunter2hunter2' }),
    })
    const id = res.headers.get('x-request-id')
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(((await res.json()) as { requestId: string }).requestId).toBe(id)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ reqId: id, method: 'POST', path: '/xrpc/x.y.z', status: 200, msg: 'request' })
    const text = JSON.stringify(lines)
    for (const secret of ['very-secret-token', 'hunter2hunter2', 'secret=q']) expect(text).not.toContain(secret)
  })

  it('writes nothing below its level but still reports failures', async () => {
    const { logger, lines } = capture('warn')
    const app = appWith(logger)
    await app.request('/xrpc/x.y.z', { method: 'POST' })
    expect(lines).toHaveLength(0)
    await app.request('/boom')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 50, path: '/boom', status: 500, msg: 'request failed' })
  })
})

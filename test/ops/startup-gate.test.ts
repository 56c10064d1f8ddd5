/**
 * The start-up gate of src/main.ts: /xrpc/_health is 503 until the database
 * is open, 200 from then on; other requests are held until Hearth is built,
 * then served; after stop() everything is 503 ShuttingDown.
 */
import { describe, expect, it } from 'vitest'
import { startupGate } from '../../src/ops/lifecycle.js'

const req = (path: string) => new Request(`http://localhost${path}`)

describe('startupGate', () => {
  it('health follows the database; other requests wait for ready', async () => {
    const gate = startupGate()
    expect((await gate.fetch(req('/xrpc/_health'))).status).toBe(503)
    gate.databaseOpen()
    // isReady() decides whether npm start offers requests to the lean read path (src/main.ts).
    expect(gate.isReady()).toBe(false)
    const health = await gate.fetch(req('/xrpc/_health'))
    expect(health.status).toBe(200)
    expect(await health.json()).toHaveProperty('version')

    let answered = false
    const held = Promise.resolve(gate.fetch(req('/xrpc/com.atproto.server.describeServer'))).then((r) => {
      answered = true
      return r
    })
    await new Promise((r) => setImmediate(r))
    expect(answered).toBe(false)
    gate.ready(() => new Response('from the app', { status: 200 }))
    expect(gate.isReady()).toBe(true)
    expect(await (await held).text()).toBe('from the app')
    expect(await (await gate.fetch(req('/xrpc/_health'))).text()).toBe('from the app')

    gate.stop()
    expect(gate.isReady()).toBe(false)
    const refused = await gate.fetch(req('/anything'))
    expect(refused.status).toBe(503)
    expect(await refused.json()).toMatchObject({ error: 'ShuttingDown' })
  })

  it('a request held during start-up is refused if shutdown comes first', async () => {
    const gate = startupGate()
    gate.databaseOpen()
    const held = gate.fetch(req('/xrpc/com.atproto.server.describeServer'))
    gate.stop()
    expect((await held).status).toBe(503)
    gate.ready(() => new Response('too late'))
    expect(gate.isReady()).toBe(false)
  })
})

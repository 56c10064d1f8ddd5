/**
 * Keepalive: firehose sockets are pinged every HEARTH_FIREHOSE_PING_SEC; a
 * socket that has not answered the previous ping by the next one is dropped,
 * and the server forgets its subscription.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/test-server.js'
import { StreamReader, eventually } from './stream-reader.js'

describe('firehose keepalive', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ env: { HEARTH_FIREHOSE_PING_SEC: '1' } })
  })
  afterAll(() => server?.close({ removeData: true }))

  it('pings live subscribers and drops one that stopped answering', async () => {
    const awake = await StreamReader.open(server.url)
    let pings = 0
    awake.ws.on('ping', () => pings++)
    // Never reads, so never sees a ping nor answers one.
    const asleep = await StreamReader.open(server.url, { paused: true })
    await eventually(() => server.pds.ctx.firehose.stats().live === 2, 'both subscribers to be live')
    await eventually(() => server.pds.ctx.firehose.stats().live === 1, 'the silent subscriber to be dropped', 10_000)
    expect(pings).toBeGreaterThanOrEqual(2)
    expect(awake.ws.readyState).toBe(awake.ws.OPEN)
    asleep.ws.resume()
    const closed = await asleep.closed
    // Dropped without a close handshake: it never read the one that would have been sent.
    expect(closed.code).toBe(1006)
    awake.close()
  })
})

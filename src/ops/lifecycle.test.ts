import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { trackRequests } from './lifecycle.js'

describe('trackRequests.drain', () => {
  it('ends open event streams (they never finish by themselves) and waits for the other requests', async () => {
    let finishSlow: (() => void) | null = null
    const server = http.createServer((req, res) => {
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.write(': open\n\n')
      } else {
        finishSlow = () => res.end('done')
      }
    })
    const requests = trackRequests(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const stream = await fetch(`${base}/stream`, { headers: { accept: 'text/event-stream' } })
    const reader = stream.body!.getReader()
    await reader.read()
    const slow = fetch(`${base}/slow`)
    await expect.poll(() => requests.count()).toBe(2)

    let drained = false
    const draining = requests.drain().then(() => (drained = true))
    // The stream is ended at once; the slow request is still waited for.
    for (;;) if ((await reader.read()).done) break
    await new Promise((r) => setTimeout(r, 50))
    expect(drained).toBe(false)
    finishSlow!()
    await draining
    expect(await (await slow).text()).toBe('done')
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
})

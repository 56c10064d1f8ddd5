import { describe, expect, it } from 'vitest'
import { endpointProblem } from './endpoint-policy.js'

const strict = { allowHttpLoopback: false }
const dev = { allowHttpLoopback: true }

describe('endpointProblem', () => {
  it('takes public https endpoints', () => {
    for (const url of ['https://api.bsky.app', 'https://api.bsky.chat/', 'https://example.com:8443/base']) expect(endpointProblem(url, strict), url).toBeNull()
  })

  it('refuses http, other schemes, credentials in the URL and non-URLs', () => {
    for (const url of ['http://api.bsky.app', 'ftp://api.bsky.app', 'file:///etc/passwd', 'https://user:pw@api.bsky.app', 'not a url']) {
      expect(endpointProblem(url, strict), url).not.toBeNull()
    }
  })

  it('refuses loopback and private addresses, whatever the scheme, unless loopback development is on (then loopback only)', () => {
    for (const url of ['https://localhost', 'https://127.0.0.1', 'https://[::1]', 'https://a.localhost', 'http://localhost:2584']) {
      expect(endpointProblem(url, strict), url).not.toBeNull()
      expect(endpointProblem(url, dev), url).toBeNull()
    }
    for (const url of ['https://10.0.0.1', 'https://192.168.1.1', 'https://172.16.0.1', 'https://169.254.169.254', 'https://[fd00::1]', 'http://10.0.0.1', 'http://appview.example']) {
      expect(endpointProblem(url, strict), url).not.toBeNull()
      expect(endpointProblem(url, dev), url).not.toBeNull()
    }
  })
})

/**
 * Client metadata is fetched from public addresses only: a client_id whose
 * host resolves (through a real DNS server on loopback) to a private,
 * unique-local, link-local or loopback address is refused before any
 * connection, while the loopback development clients (never fetched) still
 * work. The other OAuth tests serve metadata from loopback with
 * HEARTH_OAUTH_FETCH_PRIVATE_HOSTS=true; this one runs with it off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLoopbackDns, type LoopbackDns } from '../helpers/loopback-dns.js'
import { startOAuthRig, type OAuthRig } from './oauth-rig.js'
import { RawOAuthClient } from './raw-oauth-client.js'

describe('client metadata fetch refuses non-public addresses', () => {
  let rig: OAuthRig
  let dnsServer: LoopbackDns

  beforeAll(async () => {
    dnsServer = await startLoopbackDns()
    rig = await startOAuthRig({ env: { HEARTH_OAUTH_FETCH_PRIVATE_HOSTS: 'false' } })
  })
  afterAll(async () => {
    await rig?.close()
    await dnsServer?.close()
  })

  const parFor = async (host: string) => {
    const app = { clientId: `https://${host}/oauth-client-metadata.json`, redirectUri: `https://${host}/callback` }
    const c = await RawOAuthClient.create(rig.server.url, app)
    return c.par({ scope: 'atproto' })
  }

  it.each([
    ['an IPv4 private address', 'ten.example', { A: ['10.0.0.5'] }, /private address \(10\.0\.0\.5\)/],
    ['an IPv6 unique-local address', 'ula.example', { AAAA: ['fd00::5'] }, /unique-local address \(fd00::5\)/],
    ['a link-local address (cloud metadata)', 'meta.example', { A: ['169.254.169.254'] }, /link-local address/],
    ['loopback', 'sneaky.example', { A: ['127.0.0.1'] }, /loopback address \(127\.0\.0\.1\)/],
    ['a mix of public and private', 'mixed.example', { A: ['93.184.216.34', '192.168.1.9'] }, /private address \(192\.168\.1\.9\)/],
  ])('a host resolving to %s is refused', async (_kind, host, records, message) => {
    dnsServer.set(host, records)
    const res = await parFor(host)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_client_metadata')
    expect(res.body.error_description).toMatch(message)
  })

  it('a host that does not resolve is refused; the loopback development client still works (it is not fetched)', async () => {
    const nowhere = await parFor('nowhere.example')
    expect(nowhere.body.error).toBe('invalid_client_metadata')
    expect(nowhere.body.error_description).toMatch(/does not resolve/)
    const redirect = 'http://127.0.0.1/callback'
    const loopbackId = `http://localhost?redirect_uri=${encodeURIComponent(redirect)}&scope=${encodeURIComponent('atproto')}`
    const c = await RawOAuthClient.create(rig.server.url, { clientId: loopbackId, redirectUri: redirect })
    expect((await c.par({ scope: 'atproto' })).status).toBe(201)
  })
})

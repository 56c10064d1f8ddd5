/**
 * GET a document named by a stranger (an OAuth client's metadata, its
 * keys, a permission set's PDS) without letting the stranger point Hearth
 * at its own network: https only, the host's addresses resolved once and
 * every one checked against src/net/address-kinds.ts, and the connection
 * made to the address that was checked (the TLS name is still the host), so
 * a DNS answer that changes between the check and the connect cannot slip
 * a private address in. Redirects are not followed.
 *
 * Names are resolved with the DNS resolver (`dns.resolve4`/`resolve6`), not
 * the system's `getaddrinfo`: a public document lives at a public name, and
 * /etc/hosts entries are exactly the local ones to keep out.
 *
 * Hand-written on node:https because fetch (undici) offers no hook to pin
 * the address it connects to without a separate dependency.
 *
 * @example
 * const res = await fetchPublic('https://app.example/oauth-client-metadata.json', { signal: AbortSignal.timeout(5000) })
 */
import dns from 'node:dns/promises'
import https from 'node:https'
import net from 'node:net'
import { Readable } from 'node:stream'
import { isLoopbackHost, nonPublicKind } from './address-kinds.js'

/** The fetch refused to go where the URL pointed. */
export class NonPublicAddressError extends Error {}

export async function fetchPublic(href: string, init: { headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
  const url = new URL(href)
  if (url.protocol !== 'https:') throw new NonPublicAddressError(`${url.protocol} is not allowed (https only)`)
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  const address = await publicAddressOf(host, init.signal)
  const family = net.isIPv6(address) ? 6 : 4
  return new Promise<Response>((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: 'GET',
        headers: init.headers,
        signal: init.signal,
        // The one address checked above, whatever the connect-time lookup would say now.
        lookup: ((_name: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) =>
          opts?.all ? cb(null, [{ address, family }]) : cb(null, address, family)) as never,
      },
      (res) => {
        const headers = new Headers()
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v)
        const status = res.statusCode ?? 500
        const body = status === 204 || status === 304 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>)
        resolve(new Response(body, { status, headers }))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/** The address to connect to for `host`: refused when any address it has is not public. */
async function publicAddressOf(host: string, signal?: AbortSignal): Promise<string> {
  if (net.isIP(host)) {
    const kind = nonPublicKind(host)
    if (kind) throw new NonPublicAddressError(`${host} is a ${kind} address`)
    return host
  }
  if (isLoopbackHost(host)) throw new NonPublicAddressError(`${host} is a loopback name`)
  const lookups = Promise.allSettled([dns.resolve4(host), dns.resolve6(host)])
  const aborted = new Promise<never>((_, reject) => {
    signal?.addEventListener('abort', () => reject(new NonPublicAddressError(`resolving ${host} timed out`)), { once: true })
  })
  const [v4, v6] = await Promise.race([lookups, aborted])
  const addresses = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])]
  if (addresses.length === 0) throw new NonPublicAddressError(`${host} does not resolve`)
  for (const a of addresses) {
    const kind = nonPublicKind(a)
    if (kind) throw new NonPublicAddressError(`${host} resolves to a ${kind} address (${a})`)
  }
  return addresses[0]
}

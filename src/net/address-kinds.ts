/**
 * Which IP addresses are not on the public Internet: loopback, private
 * (RFC 1918), shared (CGNAT, RFC 6598), link-local (cloud metadata lives at
 * 169.254.169.254), IPv6 unique-local (fc00::/7), unspecified, multicast,
 * and IPv4-mapped IPv6 forms of any of them. Hearth fetches and proxies
 * only to public addresses unless the operator says otherwise; the proxy
 * (src/proxy/endpoint-policy.ts) and the fetch of documents named by
 * strangers (src/net/public-fetch.ts) share this one list.
 *
 * @example
 * nonPublicKind('10.1.2.3') // 'private'
 * nonPublicKind('fd12::1') // 'unique-local'
 * nonPublicKind('93.184.216.34') // null
 */
import net from 'node:net'

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true
  if (net.isIPv4(host)) return host.startsWith('127.')
  if (net.isIPv6(host)) return host === '::1' || /^::ffff:127\./i.test(host)
  return false
}

/** What kind of non-public address `ip` is, or null when it is public (or not an IP address). */
export function nonPublicKind(ip: string): string | null {
  const host = ip.replace(/^\[|\]$/g, '').toLowerCase()
  if (isLoopbackHost(host)) return net.isIP(host) ? 'loopback' : null
  if (net.isIPv4(host)) {
    const [a, b] = host.split('.').map(Number)
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private'
    if (a === 169 && b === 254) return 'link-local'
    if (a === 100 && b >= 64 && b <= 127) return 'shared (CGNAT)'
    if (a === 0) return 'unspecified'
    if (a >= 224) return 'multicast or reserved'
    return null
  }
  if (net.isIPv6(host)) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host)
    if (mapped) return nonPublicKind(mapped[1])
    if (host.startsWith('::ffff:')) return 'IPv4-mapped'
    if (host === '::') return 'unspecified'
    if (/^f[cd]/.test(host)) return 'unique-local'
    if (/^fe[89ab]/.test(host)) return 'link-local'
    if (host.startsWith('ff')) return 'multicast'
    return null
  }
  return null
}

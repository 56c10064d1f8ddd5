/**
 * Where Hearth is willing to send an account's signed requests: https
 * endpoints only, and not to loopback or private addresses named by IP or
 * as `localhost` (a DID document could otherwise point the PDS at services
 * on its own host or network). With loopback development switched on
 * (HEARTH_PROXY_ALLOW_HTTP_LOOPBACK), plain http to a loopback host is
 * allowed too, for an AppView running beside Hearth in tests and at home.
 *
 * Host names are not resolved here: a public name that resolves to a
 * private address is not caught (that needs a connect-time check).
 *
 * @example
 * endpointProblem('http://localhost:2584', { allowHttpLoopback: true }) // null: usable
 * endpointProblem('http://appview.example', { allowHttpLoopback: true }) // 'must be https …'
 */
import { isLoopbackHost, nonPublicKind } from '../net/address-kinds.js'

export { isLoopbackHost }

export interface EndpointPolicy {
  allowHttpLoopback: boolean
}

/** Why `endpoint` may not be proxied to, or null when it may. */
export function endpointProblem(endpoint: string, policy: EndpointPolicy): string | null {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    return 'is not a URL'
  }
  if (url.username || url.password) return 'must not carry credentials'
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  const loopback = isLoopbackHost(host)
  if (url.protocol === 'http:') {
    if (loopback && policy.allowHttpLoopback) return null
    return policy.allowHttpLoopback ? 'must be https (http is allowed only to a loopback host)' : 'must be https'
  }
  if (url.protocol !== 'https:') return 'must be https'
  if (loopback) return policy.allowHttpLoopback ? null : 'is a loopback address (allowed only with HEARTH_PROXY_ALLOW_HTTP_LOOPBACK)'
  if (isPrivateAddress(host)) return 'is a private network address'
  return null
}

function isPrivateAddress(host: string): boolean {
  return nonPublicKind(host) !== null
}

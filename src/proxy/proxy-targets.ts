/**
 * Which service a call goes to. An `atproto-proxy: <did>#<service-id>`
 * header names it; without one, `app.bsky.*` goes to the configured AppView
 * (`#bsky_appview`) and `chat.bsky.*` to the configured chat service
 * (`#bsky_chat`). The service's endpoint comes from its DID document
 * (resolved through @atproto/identity, cached), except for the configured
 * services, whose URL is known.
 *
 * Failures: a malformed header, or a DID document without that service →
 * 400; a DID that cannot be resolved → 502; no service configured for a
 * method that needs one → 501 naming the variable to set.
 *
 * @example
 * const target = await targets.resolve('app.bsky.feed.getTimeline', c.req.header('atproto-proxy'))
 * target.aud // 'did:web:api.bsky.app#bsky_appview', the token's audience
 */
import { IdResolver, MemoryCache } from '@atproto/identity'
import { getServiceEndpoint } from '@atproto/common'
import { isValidDid } from '@atproto/syntax'
import type { Config, ServiceConfig } from '../config.js'
import { HearthError, invalidRequest } from '../errors/hearth-error.js'
import { endpointProblem } from './endpoint-policy.js'

export interface ProxyTarget {
  /** The service's DID. */
  did: string
  /** The service id within its DID document, with its '#': '#bsky_appview'. */
  serviceId: string
  /** `did#service-id`: the audience of the inter-service JWT. */
  aud: string
  /** Origin (and any base path) of the service's endpoint. */
  url: string
}

/** DID documents of services change rarely: an hour before a background refresh, a day at most. */
const DID_STALE_MS = 60 * 60_000
const DID_MAX_MS = 24 * 60 * 60_000

export class ProxyTargets {
  private resolver: IdResolver
  private known = new Map<string, string>()

  constructor(
    private config: Pick<Config, 'appView' | 'chat' | 'proxyAllowHttpLoopback' | 'proxyTimeoutMs'>,
    plcUrl: string,
  ) {
    this.resolver = new IdResolver({ plcUrl, timeout: config.proxyTimeoutMs, didCache: new MemoryCache(DID_STALE_MS, DID_MAX_MS) })
    if (config.appView) this.known.set(`${config.appView.did}#bsky_appview`, config.appView.url)
    if (config.chat) this.known.set(`${config.chat.did}#bsky_chat`, config.chat.url)
  }

  /** The `did#service-id` of the configured AppView, or null. */
  get appViewAud(): string | null {
    return this.config.appView ? `${this.config.appView.did}#bsky_appview` : null
  }

  /** Where `nsid` goes, given the request's atproto-proxy header (if any). */
  async resolve(nsid: string, proxyHeader: string | undefined): Promise<ProxyTarget> {
    if (proxyHeader !== undefined) return this.fromHeader(proxyHeader)
    const byDefault = this.defaultFor(nsid)
    if (!byDefault) throw new HearthError('not-found', 'MethodNotImplemented', `Method not implemented: ${nsid} (send an atproto-proxy header to have it forwarded to a service)`)
    return byDefault
  }

  /**
   * The aud a call for `nsid` would go to, checked without resolving
   * anything: a malformed header is a 400, a default service that is not
   * configured a 501; null when no service takes the method at all.
   */
  audFor(nsid: string, proxyHeader: string | undefined): string | null {
    if (proxyHeader !== undefined) return parseProxyHeader(proxyHeader).aud
    return this.defaultFor(nsid)?.aud ?? null
  }

  private defaultFor(nsid: string): ProxyTarget | null {
    const service = defaultService(nsid, this.config)
    if (!service) return null
    if (!service.config) {
      throw new HearthError('not-implemented', 'MethodNotImplemented', `${nsid} goes to the ${service.label}, and none is configured: set ${service.variables}`)
    }
    return { did: service.config.did, serviceId: service.id, aud: `${service.config.did}${service.id}`, url: service.config.url }
  }

  private async fromHeader(header: string): Promise<ProxyTarget> {
    const { did, serviceId, aud } = parseProxyHeader(header)
    const configured = this.known.get(aud)
    if (configured) return { did, serviceId, aud, url: configured }
    let doc
    try {
      doc = await this.resolver.did.resolve(did)
    } catch (err) {
      throw new HearthError('upstream-failed', 'UpstreamFailure', `Could not resolve ${did}, named by the atproto-proxy header: ${(err as Error).message.slice(0, 200)}`)
    }
    if (!doc) throw new HearthError('upstream-failed', 'UpstreamFailure', `Could not resolve ${did}, named by the atproto-proxy header: no DID document`)
    const url = getServiceEndpoint(doc, { id: serviceId })
    if (!url) throw invalidRequest(`The DID document of ${did} has no service ${serviceId} (atproto-proxy header)`)
    const problem = endpointProblem(url, { allowHttpLoopback: this.config.proxyAllowHttpLoopback })
    if (problem) throw invalidRequest(`The endpoint of ${aud}, ${url.slice(0, 200)}, ${problem}`)
    return { did, serviceId, aud, url: url.replace(/\/+$/, '') }
  }
}

/** Splits `did#service-id`; anything else is a 400 saying what is wrong. */
export function parseProxyHeader(header: string): { did: string; serviceId: string; aud: string } {
  const value = header.trim()
  const hash = value.indexOf('#')
  if (hash === -1 || hash === value.length - 1) throw invalidRequest('The atproto-proxy header must be <did>#<service-id> (e.g. did:web:api.bsky.app#bsky_appview): no service id')
  if (hash === 0) throw invalidRequest('The atproto-proxy header must be <did>#<service-id>: no DID')
  if (value.indexOf('#', hash + 1) !== -1 || /\s/.test(value)) throw invalidRequest('The atproto-proxy header must be <did>#<service-id>, one "#", no spaces')
  const did = value.slice(0, hash)
  const serviceId = value.slice(hash)
  if (!isValidDid(did)) throw invalidRequest(`The atproto-proxy header names "${did.slice(0, 100)}", which is not a DID`)
  if (!/^#[A-Za-z0-9._~:-]{1,128}$/.test(serviceId)) throw invalidRequest('The atproto-proxy header has an invalid service id')
  return { did, serviceId, aud: value }
}

function defaultService(nsid: string, config: Pick<Config, 'appView' | 'chat'>): { id: string; config: ServiceConfig | undefined; label: string; variables: string } | null {
  const lower = nsid.toLowerCase()
  if (lower.startsWith('app.bsky.')) return { id: '#bsky_appview', config: config.appView, label: 'AppView', variables: 'HEARTH_APPVIEW_URL and HEARTH_APPVIEW_DID' }
  if (lower.startsWith('chat.bsky.')) return { id: '#bsky_chat', config: config.chat, label: 'chat service', variables: 'HEARTH_CHAT_URL and HEARTH_CHAT_DID' }
  return null
}

/**
 * The links of an access request: the page where the owner decides, and
 * the app's redirect that follows the decision.
 *
 * A redirect must be https, or http to a loopback host (an app being
 * developed, a desktop program listening locally): anything else would send
 * the owner's browser, and the request's outcome, over plain HTTP.
 */
import { invalidRequest } from '../errors/hearth-error.js'
import { PagePaths } from '../page-paths.js'

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/** Where the owner approves or denies request `id` (a page, so under the pages' prefix). */
export function approveUrl(publicUrl: string, id: string, pagesPrefix = ''): string {
  return publicUrl + new PagePaths(pagesPrefix).to(`/account/requests/${encodeURIComponent(id)}`)
}

/** The redirect URI, normalized, or a 400 saying what is wrong with it. */
export function checkRedirectUri(raw: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw invalidRequest('redirectUri is not a URL')
  }
  const ok = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname))
  if (!ok) throw invalidRequest('redirectUri must be https (or http to localhost, 127.0.0.1 or [::1])')
  if (url.username || url.password) throw invalidRequest('redirectUri must not carry credentials')
  if (url.hash) throw invalidRequest('redirectUri must not have a #fragment')
  return url.toString()
}

/** The redirect after a decision: the app's URI with `request` and `status` added. */
export function decisionRedirect(redirectUri: string, id: string, status: string): string {
  const url = new URL(redirectUri)
  url.searchParams.set('request', id)
  url.searchParams.set('status', status)
  return url.toString()
}

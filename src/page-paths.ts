/**
 * Where Hearth's person-facing pages live: every page path, link, form
 * action, redirect, asset and sign-in callback is built here from the one
 * prefix a host (createPds `pages.prefix`) or the operator
 * (HEARTH_PAGES_PREFIX) chose, so mounting the pages at `/hearth` moves all
 * of them and nothing else. The protocol's routes never move: `/xrpc`,
 * `/.well-known` and `/oauth` (the OAuth authorize page included, whose
 * address clients read from the server's metadata) stay at the root.
 *
 * @example
 * const paths = new PagePaths('/hearth')
 * paths.to('/account')            // '/hearth/account'
 * paths.to('/')                   // '/hearth'
 * paths.within('/hearth/sign-in') // '/sign-in'
 * new PagePaths('').to('/account') // '/account' (the default: no prefix)
 */
import { ConfigError } from './config.js'

/** First path segments a prefix must not take: the protocol's routes and the server's own. */
const RESERVED = new Set(['xrpc', '.well-known', 'oauth', 'health', '_health', 'metrics', 'robots.txt', 'favicon.ico'])

export class PagePaths {
  /** '' (the default) or a path like '/hearth', without a trailing slash. */
  readonly prefix: string

  constructor(prefix = '') {
    this.prefix = checkPagePrefix(prefix)
  }

  /**
   * The address of a page path (`/account`, `/sign-in?next=…`, `/web/style.css`) under the prefix.
   *
   * @example
   * c.redirect(paths.to('/account/app-passwords'), 303)
   */
  to(path: string): string {
    if (!path.startsWith('/')) throw new Error(`a page path starts with "/": ${path}`)
    if (!this.prefix) return path
    return path === '/' ? this.prefix : path.startsWith('/?') ? this.prefix + path.slice(1) : this.prefix + path
  }

  /**
   * The page path of a request's pathname, or null when it is not under the prefix.
   *
   * @example
   * paths.within(c.req.path) === '/sign-in/password'
   */
  within(pathname: string): string | null {
    if (!this.prefix) return pathname
    if (pathname === this.prefix) return '/'
    return pathname.startsWith(this.prefix + '/') ? pathname.slice(this.prefix.length) : null
  }

  /** The Path attribute for cookies only the pages read (the session cookie stays at `/`: a host's routes read it too). */
  get cookiePath(): string {
    return this.prefix || '/'
  }
}

/**
 * `raw` as a prefix ('' or '/a/b'), or a ConfigError naming `option`: segments
 * of letters, digits, `-`, `_`, `.` and `~`, no trailing slash, not one of the
 * protocol's routes.
 *
 * @example
 * checkPagePrefix('/hearth') // '/hearth'
 * checkPagePrefix('/xrpc')   // throws ConfigError
 */
export function checkPagePrefix(raw: string, option = 'HEARTH_PAGES_PREFIX'): string {
  if (raw === '' || raw === '/') return ''
  if (raw.length > 100 || !/^(\/[A-Za-z0-9._~-]+)+$/.test(raw) || raw.split('/').some((s) => s === '.' || s === '..')) {
    throw new ConfigError(option, `expected a path such as "/hearth" (segments of letters, digits, - _ . ~; no trailing slash), got "${raw.slice(0, 100)}"`)
  }
  const first = raw.split('/')[1].toLowerCase()
  if (RESERVED.has(first)) throw new ConfigError(option, `"${raw}" is taken by Hearth's protocol routes: choose another prefix`)
  return raw
}

/**
 * Where to send a person after sign-in: the page they asked for, carried as
 * `?next=` on the sign-in page and, across a GitHub/Google round trip, in a
 * short-lived cookie. Only a relative path on this origin is ever honoured:
 * an absolute URL, a protocol-relative `//host` or `/\host`, or anything with
 * control characters falls back to /account.
 *
 * @example
 * safeReturnPath('/account/requests/abc') // '/account/requests/abc'
 * safeReturnPath('//evil.example/x')      // null
 */
import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { PagePaths } from '../src/page-paths.js'

/** The page path to land on when nothing else was asked for (under the prefix: `paths.to(DEFAULT_RETURN)`). */
export const DEFAULT_RETURN = '/account'
const AT_ROOT = new PagePaths()
const RETURN_COOKIE = 'hearth_return'
const RETURN_COOKIE_MAX_AGE = 15 * 60
const PROBE_ORIGIN = 'http://return.invalid'

/** `raw` when it is a same-origin relative path (kept with its query), else null. */
export function safeReturnPath(raw: string | undefined | null, paths: PagePaths = AT_ROOT): string | null {
  if (!raw || raw.length > 1000) return null
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return null
  if (/[\u0000-\u001f\u007f\\]/.test(raw)) return null
  let url: URL
  try {
    url = new URL(raw, PROBE_ORIGIN)
  } catch {
    return null
  }
  if (url.origin !== PROBE_ORIGIN) return null
  // Never back to the sign-in machinery itself (a loop) or a sign-out.
  const page = paths.within(url.pathname)
  if (page === '/sign-in' || page?.startsWith('/auth/') || page === '/sign-out') return null
  return url.pathname + url.search
}

/** The sign-in page, asked to come back to the page of this request. */
export function signInUrlFor(c: Context, paths: PagePaths): string {
  const url = new URL(c.req.url)
  const back = safeReturnPath(url.pathname + url.search, paths)
  return paths.to(back && back !== paths.to(DEFAULT_RETURN) ? `/sign-in?next=${encodeURIComponent(back)}` : '/sign-in')
}

/** Remembers where to return for the provider round trip this browser is starting (a cookie only the pages see). */
export function rememberReturn(c: Context, raw: string | undefined, secure: boolean, paths: PagePaths = AT_ROOT): void {
  const path = safeReturnPath(raw, paths)
  if (!path) {
    if (getCookie(c, RETURN_COOKIE) !== undefined) deleteCookie(c, RETURN_COOKIE, { path: paths.cookiePath, secure })
    return
  }
  setCookie(c, RETURN_COOKIE, path, { httpOnly: true, sameSite: 'Lax', path: paths.cookiePath, secure, maxAge: RETURN_COOKIE_MAX_AGE })
}

/** Where the finished round trip should land (and forgets it). */
export function takeReturn(c: Context, secure: boolean, paths: PagePaths = AT_ROOT): string {
  const raw = getCookie(c, RETURN_COOKIE)
  if (raw === undefined) return paths.to(DEFAULT_RETURN)
  deleteCookie(c, RETURN_COOKIE, { path: paths.cookiePath, secure })
  return safeReturnPath(raw, paths) ?? paths.to(DEFAULT_RETURN)
}

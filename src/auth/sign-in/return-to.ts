/**
 * Where a visitor goes once signed in, when a host sent them to sign in
 * from one of its own pages (`/sign-in?return_to=/notes`). Kept in a
 * short-lived HttpOnly cookie across the provider round trip, and only ever
 * a path on this origin: a full URL, `//host` or `/\host` is dropped, so the
 * sign-in can never be turned into a redirect to another site.
 *
 * @example
 * const back = safeReturnPath(c.req.query('return_to'))
 * if (back) rememberReturnTo(c, back, config)
 * return c.redirect(takeReturnTo(c, config) ?? '/account', 303)
 */
import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { Config } from '../../config.js'

export const RETURN_TO_PARAM = 'return_to'
const COOKIE = 'hearth_return_to'

/** `value` if it is a path on this origin (with its query), else null. */
export function safeReturnPath(value: string | undefined): string | null {
  if (!value || value.length > 2000) return null
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return null
  if (/[\u0000-\u001f\u007f]/.test(value)) return null
  // Parsing against a placeholder origin must keep it on that origin.
  const url = new URL(value, 'http://hearth.invalid')
  if (url.origin !== 'http://hearth.invalid') return null
  return url.pathname + url.search + url.hash
}

export function rememberReturnTo(c: Context, path: string, config: Config): void {
  setCookie(c, COOKIE, path, { httpOnly: true, sameSite: 'Lax', path: '/', secure: isSecure(config), maxAge: config.signInStateTtlSec })
}

/** The remembered path (cleared as it is read), or null. */
export function takeReturnTo(c: Context, config: Config): string | null {
  const value = getCookie(c, COOKIE)
  if (value === undefined) return null
  deleteCookie(c, COOKIE, { path: '/', secure: isSecure(config) })
  return safeReturnPath(value)
}

const isSecure = (config: Config) => new URL(config.publicUrl).protocol === 'https:'

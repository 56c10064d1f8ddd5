/**
 * Where to go once signed in: the authorization page sends a signed-out
 * person to sign in, and this cookie brings them back to it afterwards,
 * whichever way they sign in (password, or a round trip through GitHub or
 * Google). Only a path on this server under /oauth/authorize is ever kept,
 * so the cookie cannot be made to send anyone elsewhere.
 */
import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'

const COOKIE = 'hearth_return_to'
const ALLOWED = /^\/oauth\/authorize\?[A-Za-z0-9%._~:=&+-]*$/

export function setReturnTo(c: Context, path: string): void {
  if (!ALLOWED.test(path) || path.length > 2048) return
  setCookie(c, COOKIE, path, { path: '/', httpOnly: true, sameSite: 'Lax', maxAge: 900, secure: new URL(c.req.url).protocol === 'https:' })
}

/** The page to go to after signing in, once (the cookie is cleared). */
export function takeReturnTo(c: Context): string | null {
  const path = getCookie(c, COOKIE)
  if (path === undefined) return null
  deleteCookie(c, COOKIE, { path: '/' })
  return ALLOWED.test(path) ? path : null
}

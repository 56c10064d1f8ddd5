/**
 * How every page goes out and every form comes in: HTML with headers that
 * keep pages out of caches and frames, and form bodies that are size-capped,
 * reduced to their string fields and checked for the CSRF token.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { SignedIn, WebSessions } from '../src/auth/web-session.js'

const PAGE_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
}

/** Sends a rendered page. */
export function sendPage(
  c: Context,
  page: string | Promise<string>,
  status: 200 | 400 | 401 | 403 | 404 | 409 | 429 | 500 | 502 | 503 = 200,
  /** A page's own changes to the headers above (the OAuth page shows an app's logo from its site). */
  overrides: Record<string, string> = {},
) {
  for (const [k, v] of Object.entries({ ...PAGE_HEADERS, ...overrides })) c.header(k, v)
  return c.html(page, status)
}

/** Forms are small; anything bigger is refused before it is read. */
export const formBodyLimit: MiddlewareHandler = bodyLimit({
  maxSize: 16 * 1024,
  onError: (c) => c.text('This form is too large.', 413),
})

/**
 * The string fields of a posted form, or null when its CSRF token is
 * missing or wrong (or it came from another site).
 */
export async function readCheckedForm(c: Context, sessions: WebSessions, me: SignedIn | null): Promise<Record<string, string> | null> {
  let body: Record<string, unknown>
  try {
    body = (await c.req.parseBody()) as Record<string, unknown>
  } catch {
    return null
  }
  if (!sessions.checkCsrf(c, body, me)) return null
  const form: Record<string, string> = {}
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') form[k] = v
  return form
}

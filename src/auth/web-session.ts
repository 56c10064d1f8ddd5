/**
 * The person's web session as the pages see it.
 *
 * - The session cookie names a server-side session (WebSessionStore):
 *   HttpOnly, SameSite=Lax, and Secure with the `__Host-` prefix when the
 *   public URL is https.
 * - A browser cookie (random, same attributes) binds things to this browser
 *   before anyone is signed in: the sign-in attempts in flight, and the CSRF
 *   token of the password form.
 * - Every state-changing form carries a CSRF token: an HMAC of the session
 *   id (or, signed out, of the browser cookie) under a key derived from the
 *   server's JWT secret. A POST must bring it back, and must not come from
 *   another site (Origin / Sec-Fetch-Site).
 *
 * @example
 * const me = web.current(c)
 * if (!me) return c.redirect('/sign-in')
 * <input type="hidden" name="_csrf" value={web.csrfToken(c, me)} />
 */
import crypto from 'node:crypto'
import type { Context } from 'hono'
import { getCookie, setCookie, deleteCookie } from 'hono/cookie'
import type { CookieOptions } from 'hono/utils/cookie'
import type { Config } from '../config.js'
import type { Account, AccountStore } from '../account/account-store.js'
import type { WebSession, WebSessionStore } from './web-session-store.js'

export interface SignedIn {
  session: WebSession
  account: Account
}

export const CSRF_FIELD = '_csrf'
const SESSION_COOKIE = 'hearth_session'
const BROWSER_COOKIE = 'hearth_browser'
const BROWSER_COOKIE_MAX_AGE = 365 * 24 * 3600

export class WebSessions {
  private csrfKey: Buffer
  private secure: boolean
  private origin: string

  constructor(
    private store: WebSessionStore,
    private accounts: AccountStore,
    private config: Config,
    jwtSecret: Uint8Array,
  ) {
    // A key of its own: a CSRF token can never be mistaken for anything signed with the JWT secret.
    this.csrfKey = Buffer.from(crypto.hkdfSync('sha256', jwtSecret, Buffer.alloc(0), 'hearth web csrf v1', 32))
    this.secure = new URL(config.publicUrl).protocol === 'https:'
    this.origin = new URL(config.publicUrl).origin
  }

  /** Who is signed in on this request, or null (also for taken-down or deleted accounts). */
  current(c: Context): SignedIn | null {
    const token = getCookie(c, SESSION_COOKIE, this.prefix)
    if (!token) return null
    const session = this.store.find(token)
    if (!session) return null
    const account = this.accounts.get(session.did)
    if (!account || account.status === 'takendown' || account.status === 'deleted') return null
    return { session, account }
  }

  /** Signs the browser in as `did` with a new session token, ending any session it had. */
  start(c: Context, did: string, via: string): void {
    const previous = this.current(c)
    if (previous) this.store.revoke(previous.session.did, previous.session.id)
    const { token } = this.store.create(did, via, c.req.header('User-Agent') ?? null)
    setCookie(c, SESSION_COOKIE, token, this.cookieOptions(this.config.webSessionTtlSec))
  }

  /** Ends this browser's session (server-side too) and clears the cookie. */
  end(c: Context): void {
    const me = this.current(c)
    if (me) this.store.revoke(me.session.did, me.session.id)
    if (getCookie(c, SESSION_COOKIE, this.prefix) !== undefined) deleteCookie(c, SESSION_COOKIE, this.cookieOptions(0))
  }

  /** This browser's random token, set on first use. */
  browserToken(c: Context): string {
    let token = getCookie(c, BROWSER_COOKIE, this.prefix)
    if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) {
      token = crypto.randomBytes(32).toString('base64url')
      setCookie(c, BROWSER_COOKIE, token, this.cookieOptions(BROWSER_COOKIE_MAX_AGE))
    }
    return token
  }

  /** The browser token if the browser already has one (never sets it). */
  existingBrowserToken(c: Context): string | undefined {
    return getCookie(c, BROWSER_COOKIE, this.prefix)
  }

  /** The token for this page's forms. */
  csrfToken(c: Context, me: SignedIn | null): string {
    const binding = me ? `session:${me.session.id}` : `browser:${this.browserToken(c)}`
    return crypto.createHmac('sha256', this.csrfKey).update(binding).digest('base64url')
  }

  /** True when a POST carries this browser's CSRF token and does not come from another site. */
  checkCsrf(c: Context, form: Record<string, unknown>, me: SignedIn | null): boolean {
    const origin = c.req.header('Origin')
    if (origin && origin !== 'null' && origin !== this.origin) return false
    if (c.req.header('Sec-Fetch-Site') === 'cross-site') return false
    const given = form[CSRF_FIELD]
    if (typeof given !== 'string' || !given) return false
    let binding: string
    if (me) binding = `session:${me.session.id}`
    else {
      const browser = this.existingBrowserToken(c)
      if (!browser) return false
      binding = `browser:${browser}`
    }
    const expected = crypto.createHmac('sha256', this.csrfKey).update(binding).digest()
    const actual = Buffer.from(given, 'base64url')
    return actual.length === expected.length && crypto.timingSafeEqual(actual, expected)
  }

  private get prefix(): 'host' | undefined {
    return this.secure ? 'host' : undefined
  }

  private cookieOptions(maxAge: number): CookieOptions {
    return { httpOnly: true, sameSite: 'Lax', path: '/', secure: this.secure, maxAge, ...(this.prefix ? { prefix: this.prefix } : {}) }
  }
}

/**
 * Signing in and out: the sign-in page, password sign-in, the GitHub/Google
 * round trip (`/auth/:provider` → provider → `/auth/:provider/callback`),
 * linking a second provider, and sign-out.
 */
import { Hono, type Context } from 'hono'
import type { AppContext } from '../src/context.js'
import type { SignedIn } from '../src/auth/web-session.js'
import type { WebSignIn } from '../src/auth/sign-in/web-sign-in.js'
import { SignInError, type SignInFailure } from '../src/auth/sign-in/sign-in-error.js'
import { isProviderId } from '../src/auth/sign-in/sign-in-provider.js'
import { hashPassword, verifyPassword } from '../src/account/password-hash.js'
import { RETURN_TO_PARAM } from '../src/auth/sign-in/return-to.js'
import { HearthError } from '../src/errors/hearth-error.js'
import { httpStatusOf } from '../src/errors/http-answer.js'
import { SignInPage } from './pages/sign-in-page.js'
import { ErrorPage } from './pages/error-page.js'
import { formBodyLimit, readCheckedForm, sendPage } from './page-response.js'
import { takeReturnTo } from './return-to.js'
import { DEFAULT_RETURN, rememberReturn, safeReturnPath, takeReturn } from './return-path.js'

const ERROR_TITLES: Partial<Record<SignInFailure, string>> = {
  cancelled: 'Sign-in cancelled',
  expired: 'Sign-in expired',
  'identity-taken': 'Can’t link this sign-in',
  'already-linked': 'Can’t link this sign-in',
}

// Unknown identifiers still pay for one scrypt, so timing does not tell them apart.
let dummyHash: Promise<string> | undefined
const dummy = () => (dummyHash ??= hashPassword('hearth-no-such-account'))

export function signInRoutes(ctx: AppContext, w: WebSignIn): Hono {
  const app = new Hono()
  const providerButtons = () => w.flow.providers.map((p) => ({ id: p.id, label: p.label }))
  const secure = new URL(ctx.config.publicUrl).protocol === 'https:'

  const signInPage = (
    c: Context,
    extra: { problem?: string; identifier?: string; signedInAs?: string; next?: string | null } = {},
    status: 200 | 401 | 429 = 200,
  ) => {
    const { next, ...rest } = extra
    return sendPage(
      c,
      <SignInPage
        providers={providerButtons()}
        publicUrl={ctx.config.publicUrl}
        csrf={w.sessions.csrfToken(c, null)}
        next={next ?? undefined}
        passwordSignIn={ctx.config.passwordSignIn}
        {...rest}
      />,
      status,
    )
  }

  app.get('/sign-in', (c) => {
    const me = w.sessions.current(c)
    // ?next= from Hearth's own pages, ?return_to= from a host app's pages (pds.signInUrl).
    const back = safeReturnPath(c.req.query('next') ?? c.req.query(RETURN_TO_PARAM), w.paths)
    // Signed in already: straight back to the page that sent them.
    if (back && me) return c.redirect(back, 303)
    // login_hint: an OAuth app named the account to sign in as; the password form starts with it.
    return signInPage(c, { signedInAs: me?.account.handle, identifier: c.req.query('login_hint')?.slice(0, 256), next: back })
  })

  app.post('/sign-in/password', formBodyLimit, async (c) => {
    // Turned off by the host or operator (pages.passwordSignIn, HEARTH_PASSWORD_SIGN_IN): refused before the form is read.
    if (!ctx.config.passwordSignIn) return passwordSignInOff(c)
    const form = await readCheckedForm(c, w.sessions, null)
    if (!form) return refusedForm(c, null)
    const identifier = (form.identifier ?? '').trim()
    const next = safeReturnPath(form.next, w.paths)
    const password = (form.password ?? '').slice(0, 256)
    const account = identifier ? ctx.accounts.lookup(identifier) : null
    // The same failed-sign-in budget as createSession, under the same key: two doors, one count.
    const limits = ctx.rateLimits
    const failureKey = account?.did ?? identifier.toLowerCase()
    const budget = limits.signInFailures.peek(failureKey)
    if (limits.enabled && budget.remaining <= 0) {
      const problem = `Too many failed sign-ins for this account. Try again after ${new Date(budget.resetAt).toISOString().slice(11, 16)} UTC.`
      return signInPage(c, { problem, identifier, next }, 429)
    }
    const ok = account?.passwordHash ? await verifyPassword(password, account.passwordHash) : (await verifyPassword(password, await dummy()), false)
    if (!account || !ok || account.status === 'takendown' || account.status === 'deleted') {
      if (limits.enabled) limits.signInFailures.spend(failureKey, 1)
      return signInPage(c, { problem: 'That handle or email and password do not match an account here.', identifier, next }, 401)
    }
    w.sessions.start(c, account.did, 'password')
    return c.redirect(next ?? takeReturnTo(c) ?? w.paths.to(DEFAULT_RETURN), 303)
  })

  app.get('/auth/:provider', (c) => {
    const id = c.req.param('provider')
    if (!isProviderId(id) || !w.flow.providers.some((p) => p.id === id)) return notConfigured(c, id)
    rememberReturn(c, c.req.query('next') ?? c.req.query(RETURN_TO_PARAM), secure, w.paths)
    return c.redirect(w.flow.start(id, w.sessions.browserToken(c)).toString(), 302)
  })

  app.post('/auth/:provider/link', formBodyLimit, async (c) => {
    const id = c.req.param('provider')
    const me = w.sessions.current(c)
    if (!me) return c.redirect(w.paths.to('/sign-in'), 303)
    const form = await readCheckedForm(c, w.sessions, me)
    if (!form) return refusedForm(c, me)
    if (!isProviderId(id) || !w.flow.providers.some((p) => p.id === id)) return notConfigured(c, id, me)
    rememberReturn(c, form.next, secure, w.paths)
    return c.redirect(w.flow.start(id, w.sessions.browserToken(c), me.account.did).toString(), 303)
  })

  app.get('/auth/:provider/callback', async (c) => {
    const id = c.req.param('provider')
    const me = w.sessions.current(c)
    if (!isProviderId(id)) return notConfigured(c, id, me)
    try {
      const result = await w.flow.finish(
        id,
        { state: c.req.query('state'), code: c.req.query('code'), error: c.req.query('error') },
        w.sessions.existingBrowserToken(c),
        me?.account.did ?? null,
      )
      if (!result.linked) w.sessions.start(c, result.did, id)
      return c.redirect((!result.linked && takeReturnTo(c)) || takeReturn(c, secure, w.paths), 303)
    } catch (err) {
      return signInFailed(c, err, me)
    }
  })

  app.post('/sign-out', formBodyLimit, async (c) => {
    const me = w.sessions.current(c)
    if (me) {
      const form = await readCheckedForm(c, w.sessions, me)
      if (!form) return refusedForm(c, me)
      w.sessions.end(c)
    }
    return c.redirect(w.paths.to('/sign-in'), 303)
  })

  function signInFailed(c: Context, err: unknown, me: SignedIn | null) {
    const csrf = me ? w.sessions.csrfToken(c, me) : undefined
    if (err instanceof SignInError) {
      ctx.logger.info({ kind: err.kind }, 'sign-in did not finish')
      const title = ERROR_TITLES[err.kind] ?? 'Sign-in didn’t work'
      return sendPage(c, <ErrorPage title={title} message={err.message} kind={err.kind} me={me} csrf={csrf} />, err.status as 400)
    }
    if (err instanceof HearthError) {
      ctx.logger.warn({ error: err.error, message: err.message }, 'sign-in failed')
      return sendPage(c, <ErrorPage title="Sign-in didn’t work" message={err.message} kind="failed" me={me} csrf={csrf} />, httpStatusOf(err) as 400)
    }
    ctx.logger.error({ err }, 'sign-in failed')
    const message = 'Something went wrong on this server while signing you in. Try again in a moment.'
    return sendPage(c, <ErrorPage title="Sign-in didn’t work" message={message} kind="failed" me={me} csrf={csrf} />, 500)
  }

  function notConfigured(c: Context, id: string, me: SignedIn | null = null) {
    const message = `Sign-in with “${id.slice(0, 40)}” is not set up on this server.`
    const csrf = me ? w.sessions.csrfToken(c, me) : undefined
    return sendPage(c, <ErrorPage title="Not available" message={message} kind="not-configured" me={me} csrf={csrf} />, 404)
  }

  function passwordSignInOff(c: Context) {
    const message = 'This server does not take passwords on its sign-in page: sign in with one of the ways the sign-in page offers.'
    return sendPage(c, <ErrorPage title="Not available" message={message} kind="password-sign-in-off" />, 403)
  }

  function refusedForm(c: Context, me: SignedIn | null) {
    return refusedFormPage(c, w, me)
  }

  return app
}

/** The answer to a form without a valid CSRF token: nothing was done. */
export function refusedFormPage(c: Context, w: WebSignIn, me: SignedIn | null) {
  const message =
    'This form was sent without its security token, or from another site, so nothing was done. Go back, reload the page and try again.'
  const csrf = me ? w.sessions.csrfToken(c, me) : undefined
  return sendPage(c, <ErrorPage title="Form refused" message={message} kind="csrf" me={me} csrf={csrf} />, 403)
}

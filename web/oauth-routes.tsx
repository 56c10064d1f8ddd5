/**
 * The person's side of OAuth: the authorization page an app sends them to
 * (GET /oauth/authorize after its PAR, POST for the decision) and the
 * Connected apps page. Signing in on the way reuses the sign-in pages: a
 * signed-out person is sent there and comes back (web/return-to.ts). The
 * authorize page stays at /oauth/authorize (clients read it from the
 * server's metadata); Connected apps moves with the pages' prefix.
 */
import { Hono, type Context } from 'hono'
import type { AppContext } from '../src/context.js'
import type { SignedIn } from '../src/auth/web-session.js'
import type { WebSignIn } from '../src/auth/sign-in/web-sign-in.js'
import { OAuthError } from '../src/oauth/oauth-error.js'
import type { PendingAuthorization } from '../src/oauth/oauth-server.js'
import { describeScope } from '../src/oauth/permission-words.js'
import { acceptedLanguages } from '../src/oauth/permission-set-words.js'
import { expandWith } from '../src/oauth/permission-sets.js'
import { AuthorizePage } from './pages/authorize-page.js'
import { ConnectedAppsPage } from './pages/connected-apps-page.js'
import { ErrorPage } from './pages/error-page.js'
import { formBodyLimit, readCheckedForm, sendPage } from './page-response.js'
import { refusedFormPage } from './sign-in-routes.js'
import { setReturnTo } from './return-to.js'

// App logos come from the app's own site.
const AUTHORIZE_CSP = "default-src 'none'; style-src 'self'; img-src 'self' https:; frame-ancestors 'none'; base-uri 'none'"

export function oauthPageRoutes(ctx: AppContext, w: WebSignIn): Hono {
  const oauth = ctx.oauth
  const app = new Hono()

  const failed = (c: Context, err: unknown, me: SignedIn | null) => {
    if (!(err instanceof OAuthError)) throw err
    const csrf = me ? w.sessions.csrfToken(c, me) : undefined
    return sendPage(c, <ErrorPage title="This sign-in can’t go on" message={`${err.description} (${err.error})`} kind={err.error} me={me} csrf={csrf} />, 400)
  }

  const appName = (p: PendingAuthorization) => p.client.metadata.client_name ?? (p.client.loopback ? 'A development app on this computer' : new URL(p.client.id).host)

  app.get('/oauth/authorize', async (c) => {
    const me = w.sessions.current(c)
    let pending: PendingAuthorization
    try {
      pending = await oauth.pending(c.req.query('client_id'), c.req.query('request_uri'))
    } catch (err) {
      return failed(c, err, me)
    }
    const hint = pending.request.params.login_hint
    // prompt (OpenID Connect Core §3.1.2.1): none shows nothing, login asks for a fresh sign-in, consent always asks.
    const prompt = pending.request.params.prompt
    const approvedBefore = (did: string) => pending.client.trusted || oauth.alreadyApproved(did, pending)
    if (prompt === 'none') {
      if (!me) return c.redirect(oauth.refuse(pending, 'login_required', 'The person is not signed in to this server'), 303)
      const named = hint ? ctx.accounts.lookup(hint.replace(/^@/, '')) : null
      if (hint && named?.did !== me.account.did) return c.redirect(oauth.refuse(pending, 'login_required', 'The person signed in here is not the account login_hint names'), 303)
      if (!approvedBefore(me.account.did)) return c.redirect(oauth.refuse(pending, 'consent_required', 'The person has not approved these permissions for this app'), 303)
      return c.redirect(oauth.approve(pending, me.account.did), 303)
    }
    const freshEnough = me !== null && (prompt !== 'login' || me.session.createdAt >= oauth.requestedAt(pending))
    if (!me || !freshEnough) {
      const url = new URL(c.req.url)
      setReturnTo(c, `${url.pathname}${url.search}`)
      return c.redirect(w.paths.to(`/sign-in${hint ? `?login_hint=${encodeURIComponent(hint)}` : ''}`), 303)
    }
    if (prompt !== 'consent' && approvedBefore(me.account.did)) {
      return c.redirect(oauth.approve(pending, me.account.did), 303)
    }
    const hinted = hint ? ctx.accounts.lookup(hint.replace(/^@/, '')) : null
    const languages = acceptedLanguages(c.req.header('accept-language'))
    const permissions = describeScope(pending.request.params.scope, pending.sets, languages).map((line) =>
      line.scope.startsWith('include:') ? { ...line, included: describeScope(expandWith(line.scope, pending.sets), null) } : line,
    )
    return sendPage(
      c,
      <AuthorizePage
        me={me}
        csrf={w.sessions.csrfToken(c, me)}
        clientId={pending.client.id}
        requestUri={c.req.query('request_uri')!}
        appName={appName(pending)}
        logoUri={pending.client.metadata.logo_uri}
        clientUri={pending.client.metadata.client_uri}
        unverified={!pending.client.trusted}
        permissions={permissions}
        hintedOther={hinted && hinted.did !== me.account.did ? hinted.handle : undefined}
      />,
      200,
      { 'Content-Security-Policy': AUTHORIZE_CSP },
    )
  })

  app.post('/oauth/authorize', formBodyLimit, async (c) => {
    const me = w.sessions.current(c)
    if (!me) return c.redirect(w.paths.to('/sign-in'), 303)
    const form = await readCheckedForm(c, w.sessions, me)
    if (!form) return refusedFormPage(c, w, me)
    try {
      const pending = await oauth.pending(form.client_id, form.request_uri)
      if (form.decision === 'approve') return c.redirect(oauth.approve(pending, me.account.did), 303)
      return c.redirect(oauth.deny(pending), 303)
    } catch (err) {
      return failed(c, err, me)
    }
  })

  return app
}

/** The Connected apps page, a page like the others (under the pages' prefix, where the authorize page is not). */
export function connectedAppsRoutes(ctx: AppContext, w: WebSignIn): Hono {
  const oauth = ctx.oauth
  const app = new Hono()

  app.get('/account/connected-apps', (c) => {
    const me = w.sessions.current(c)
    if (!me) return c.redirect(w.paths.to('/sign-in'), 303)
    const apps = oauth.sessionsOf(me.account.did).map((s) => ({
      sessionId: s.id,
      clientId: s.clientId,
      name: s.clientName ?? s.clientId,
      permissions: describeScope(s.scope, null),
      createdAt: s.createdAt,
      lastUsedAt: s.lastUsedAt,
    }))
    return sendPage(c, <ConnectedAppsPage me={me} csrf={w.sessions.csrfToken(c, me)} apps={apps} />)
  })

  app.post('/account/connected-apps/revoke', formBodyLimit, async (c) => {
    const me = w.sessions.current(c)
    if (!me) return c.redirect(w.paths.to('/sign-in'), 303)
    const form = await readCheckedForm(c, w.sessions, me)
    if (!form) return refusedFormPage(c, w, me)
    oauth.revokeSessionOf(me.account.did, form.id ?? '')
    return c.redirect(w.paths.to('/account/connected-apps'), 303)
  })

  return app
}

/**
 * The signed-in person's pages: the account, app passwords, the handle and
 * web sessions. Every page needs a session (else: to /sign-in); every POST
 * needs the session's CSRF token.
 */
import { Hono, type Context } from 'hono'
import type { AppContext } from '../src/context.js'
import type { SignedIn } from '../src/auth/web-session.js'
import type { WebSignIn } from '../src/auth/sign-in/web-sign-in.js'
import { didDocFor } from '../src/identity/did-documents.js'
import { DuplicateAppPasswordError } from '../src/account/app-passwords.js'
import { HearthError } from '../src/errors/hearth-error.js'
import { httpStatusOf } from '../src/errors/http-answer.js'
import { AccountPage } from './pages/account-page.js'
import { AppPasswordsPage } from './pages/app-passwords-page.js'
import { HandlePage } from './pages/handle-page.js'
import { SessionsPage } from './pages/sessions-page.js'
import { formBodyLimit, sendPage } from './page-response.js'
import { signedInGuards } from './signed-in.js'

export function accountRoutes(ctx: AppContext, w: WebSignIn): Hono {
  const app = new Hono()
  const providerLabels = Object.fromEntries(w.flow.providers.map((p) => [p.id, p.label]))

  const { page: signedIn, form: signedInForm } = signedInGuards(w)

  app.get(
    '/account',
    signedIn(async (c, me) => {
      const did = me.account.did
      const linked = w.linked.forAccount(did)
      return sendPage(
        c,
        <AccountPage
          me={me}
          csrf={w.sessions.csrfToken(c, me)}
          publicUrl={ctx.config.publicUrl}
          didDoc={await didDocFor(ctx, did)}
          collections={ctx.repoReader.collections(did)}
          linked={linked}
          linkable={w.flow.providers.filter((p) => !linked.some((l) => l.provider === p.id)).map((p) => ({ id: p.id, label: p.label }))}
          providerLabels={providerLabels}
        />,
      )
    }),
  )

  const appPasswordsPage = (c: Context, me: SignedIn, extra: { created?: { name: string; password: string }; problem?: string } = {}, status: 200 | 400 = 200) =>
    sendPage(
      c,
      <AppPasswordsPage me={me} csrf={w.sessions.csrfToken(c, me)} list={ctx.appPasswords.list(me.account.did)} signsInWith={signsInWith(me)} {...extra} />,
      status,
    )
  const signsInWith = (me: SignedIn) => [
    ...w.linked.forAccount(me.account.did).map((l) => providerLabels[l.provider] ?? l.provider),
    ...(me.account.passwordHash ? ['password'] : []),
  ]

  app.get('/account/app-passwords', signedIn((c, me) => appPasswordsPage(c, me)))

  app.post(
    '/account/app-passwords',
    formBodyLimit,
    signedInForm(async (c, me, form) => {
      const name = (form.name ?? '').trim()
      if (!name || name.length > 64) return appPasswordsPage(c, me, { problem: 'Give the app password a name of 1 to 64 characters.' }, 400)
      try {
        const created = await ctx.appPasswords.create(me.account.did, name, form.privileged === '1')
        return appPasswordsPage(c, me, { created: { name: created.name, password: created.password } })
      } catch (err) {
        if (err instanceof DuplicateAppPasswordError) {
          return appPasswordsPage(c, me, { problem: `There is already an app password named “${name}”. Pick another name.` }, 400)
        }
        throw err
      }
    }),
  )

  app.post(
    '/account/app-passwords/revoke',
    formBodyLimit,
    signedInForm((c, me, form) => {
      ctx.appPasswords.revoke(me.account.did, form.name ?? '')
      return c.redirect(w.paths.to('/account/app-passwords'), 303)
    }),
  )

  const handlePage = (c: Context, me: SignedIn, extra: { requested?: string; problem?: string; changed?: boolean } = {}, status: 200 | 400 | 502 = 200) =>
    sendPage(c, <HandlePage me={me} csrf={w.sessions.csrfToken(c, me)} domains={ctx.config.handleDomains} {...extra} />, status)

  app.get('/account/handle', signedIn((c, me) => handlePage(c, me, { changed: c.req.query('changed') === '1' })))

  app.post(
    '/account/handle',
    formBodyLimit,
    signedInForm(async (c, me, form) => {
      let requested = (form.handle ?? '').trim().toLowerCase()
      // A bare name means a handle under this server's (first) domain.
      if (requested && !requested.includes('.')) requested += ctx.config.handleDomains[0]
      try {
        await ctx.accountService.updateHandle(me.account.did, requested, (h) => ctx.idResolver.handle.resolve(h).catch(() => undefined))
      } catch (err) {
        if (err instanceof HearthError && httpStatusOf(err) < 500) return handlePage(c, me, { requested, problem: err.message }, 400)
        if (err instanceof HearthError) return handlePage(c, me, { requested, problem: err.message }, 502)
        throw err
      }
      await didDocFor(ctx, me.account.did, true) // the cached document still names the old handle
      return c.redirect(w.paths.to('/account/handle?changed=1'), 303)
    }),
  )

  app.get(
    '/account/sessions',
    signedIn((c, me) =>
      sendPage(c, <SessionsPage me={me} csrf={w.sessions.csrfToken(c, me)} sessions={w.sessionStore.list(me.account.did)} />),
    ),
  )

  app.post(
    '/account/sessions/revoke',
    formBodyLimit,
    signedInForm((c, me, form) => {
      if (form.id === me.session.id) {
        w.sessions.end(c)
        return c.redirect(w.paths.to('/sign-in'), 303)
      }
      w.sessionStore.revoke(me.account.did, form.id ?? '')
      return c.redirect(w.paths.to('/account/sessions'), 303)
    }),
  )

  return app
}

/**
 * Account control: password, unlinking sign-ins, downloads (repository CAR,
 * scopes ZIP), deactivate / reactivate, and deletion with a typed
 * confirmation. Same rules as every account page: a session for each page,
 * the session's CSRF token on each POST.
 */
import { Hono, type Context } from 'hono'
import type { AppContext } from '../src/context.js'
import type { SignedIn } from '../src/auth/web-session.js'
import type { WebSignIn } from '../src/auth/sign-in/web-sign-in.js'
import { PasswordChangeError, setAccountPassword } from '../src/account/account-password.js'
import { exportScopesZip } from '../src/scope/scope-export.js'
import { AccountRemoval } from '../src/ops/account-removal.js'
import { SettingsPage } from './pages/settings-page.js'
import { DeletePage, DeletedPage } from './pages/delete-page.js'
import { formBodyLimit, sendPage } from './page-response.js'
import { signedInGuards } from './signed-in.js'

type Extra = { notice?: string; problem?: string }

const NOTICES: Record<string, string> = {
  'password-set': 'Your password is set.',
  unlinked: 'That sign-in is unlinked.',
  deactivated: 'Your account is deactivated.',
  reactivated: 'Your account is active again.',
}

export function settingsRoutes(ctx: AppContext, w: WebSignIn): Hono {
  const app = new Hono()
  const { page: signedIn, form: signedInForm } = signedInGuards(w)
  const providerLabels = Object.fromEntries(w.flow.providers.map((p) => [p.id, p.label]))
  const fileName = (me: SignedIn, ext: string) => `${me.account.handle.replace(/[^a-z0-9.-]/gi, '_')}-${new Date().toISOString().slice(0, 10)}.${ext}`

  const settingsPage = (c: Context, me: SignedIn, extra: Extra = {}, status: 200 | 400 | 409 = 200) => {
    const linked = w.linked.forAccount(me.account.did)
    const linkable = w.flow.providers.filter((p) => !linked.some((l) => l.provider === p.id)).map((p) => ({ id: p.id, label: p.label }))
    return sendPage(
      c,
      <SettingsPage me={me} csrf={w.sessions.csrfToken(c, me)} linked={linked} linkable={linkable} providerLabels={providerLabels} {...extra} />,
      status,
    )
  }
  /** After a change: the page again, fresh (the account row changed), with a notice. */
  const done = (c: Context, notice: keyof typeof NOTICES) => c.redirect(w.paths.to(`/account/settings?done=${notice}`), 303)

  app.get(
    '/account/settings',
    signedIn((c, me) => {
      const done = c.req.query('done') ?? ''
      return settingsPage(c, me, { notice: Object.hasOwn(NOTICES, done) ? NOTICES[done] : undefined })
    }),
  )

  app.post(
    '/account/password',
    formBodyLimit,
    signedInForm(async (c, me, form) => {
      const next = form.password ?? ''
      if (next !== (form.confirm ?? '')) return settingsPage(c, me, { problem: 'The two new passwords differ. Type the same one twice.' }, 400)
      try {
        await setAccountPassword(ctx.accounts, me.account.did, { current: form.current, next })
      } catch (err) {
        if (err instanceof PasswordChangeError) return settingsPage(c, me, { problem: err.message }, 400)
        throw err
      }
      return done(c, 'password-set')
    }),
  )

  app.post(
    '/account/sign-ins/unlink',
    formBodyLimit,
    signedInForm((c, me, form) => {
      const provider = form.provider ?? ''
      const label = Object.hasOwn(providerLabels, provider) ? providerLabels[provider] : provider.slice(0, 40)
      const outcome = w.linked.unlink(me.account.did, provider)
      if (outcome === 'last-way-in') {
        return settingsPage(c, me, { problem: `${label} is your only way to sign in, so it stays linked. Set a password or link another provider first.` }, 409)
      }
      if (outcome === 'not-linked') return settingsPage(c, me, { problem: `This account has no ${label} sign-in to unlink.` }, 400)
      ctx.logger.info({ did: me.account.did, provider }, 'sign-in unlinked')
      return done(c, 'unlinked')
    }),
  )

  app.get(
    '/account/export/repo.car',
    signedIn((c, me) => {
      const car = ctx.repoReader.exportCar(me.account.did)
      if (!car) return settingsPage(c, me, { problem: 'Your repository has no commit yet, so there is nothing to download.' }, 409)
      return new Response(car, {
        headers: {
          'Content-Type': 'application/vnd.ipld.car',
          'Content-Disposition': `attachment; filename="${fileName(me, 'car')}"`,
          'Cache-Control': 'no-store',
          'X-Content-Type-Options': 'nosniff',
        },
      })
    }),
  )

  app.get(
    '/account/export/scopes.zip',
    signedIn((c, me) => {
      const zip = exportScopesZip(ctx.scopes.catalog, ctx.repoReader, me.account.did)
      return new Response(zip as unknown as BodyInit, {
        headers: {
          'Content-Type': 'application/zip',
          'Content-Disposition': `attachment; filename="${fileName(me, 'scopes.zip')}"`,
          'Content-Length': String(zip.byteLength),
          'Cache-Control': 'no-store',
          'X-Content-Type-Options': 'nosniff',
        },
      })
    }),
  )

  app.post(
    '/account/deactivate',
    formBodyLimit,
    signedInForm((c, me) => {
      if (me.account.status === 'active') ctx.accountService.setStatus(me.account.did, 'deactivated')
      return done(c, 'deactivated')
    }),
  )

  app.post(
    '/account/reactivate',
    formBodyLimit,
    signedInForm((c, me) => {
      if (me.account.status === 'deactivated') ctx.accountService.setStatus(me.account.did, 'active')
      return done(c, 'reactivated')
    }),
  )

  const deletePage = (c: Context, me: SignedIn, problem?: string) =>
    sendPage(c, <DeletePage me={me} csrf={w.sessions.csrfToken(c, me)} problem={problem} />, problem ? 400 : 200)

  app.get('/account/delete', signedIn((c, me) => deletePage(c, me)))

  app.post(
    '/account/delete',
    formBodyLimit,
    signedInForm(async (c, me, form) => {
      const typed = (form.confirm ?? '').trim().toLowerCase()
      if (typed !== me.account.handle) {
        return deletePage(c, me, `Type your handle exactly (${me.account.handle}) to confirm. Nothing was deleted.`)
      }
      // Every session (web, refresh tokens, app passwords) goes with the account row; this browser's cookie goes now.
      w.sessions.end(c)
      await new AccountRemoval(ctx).remove(me.account.did)
      ctx.logger.info({ did: me.account.did }, 'account deleted by its owner')
      return sendPage(c, <DeletedPage handle={me.account.handle} />)
    }),
  )

  return app
}

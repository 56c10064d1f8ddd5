/**
 * The "Move your account" page and its one form, which makes the
 * confirmation code signPlcOperation needs (shown once, in the answer).
 */
import { Hono, type Context } from 'hono'
import type { AppContext } from '../src/context.js'
import type { SignedIn } from '../src/auth/web-session.js'
import type { WebSignIn } from '../src/auth/sign-in/web-sign-in.js'
import { MovePage } from './pages/move-page.js'
import { formBodyLimit, readCheckedForm, sendPage } from './page-response.js'
import { refusedFormPage } from './sign-in-routes.js'

export function moveRoutes(ctx: AppContext, w: WebSignIn): Hono {
  const app = new Hono()
  const signedIn = (page: (c: Context, me: SignedIn) => Response | Promise<Response>) => (c: Context) => {
    const me = w.sessions.current(c)
    return me ? page(c, me) : c.redirect(w.paths.to('/sign-in'), 303)
  }
  const page = (c: Context, me: SignedIn, code?: { token: string; expiresAt: Date }) =>
    sendPage(c, <MovePage
        me={me}
        csrf={w.sessions.csrfToken(c, me)}
        publicUrl={ctx.config.publicUrl}
        code={code}
        mailTo={ctx.mailer ? me.account.email : null}
      />)

  app.get('/account/move', signedIn((c, me) => page(c, me)))
  app.post(
    '/account/move/code',
    formBodyLimit,
    signedIn(async (c, me) => {
      const form = await readCheckedForm(c, w.sessions, me)
      if (!form) return refusedFormPage(c, w, me)
      const code = ctx.moves.plcTokens.create(me.account.did)
      ctx.logger.info({ did: me.account.did }, 'PLC operation confirmation code made on the web page')
      return page(c, me, code)
    }),
  )
  return app
}

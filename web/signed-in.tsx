/**
 * Guards for the person's pages: a page runs only for a signed-in person;
 * anyone else goes through sign-in and comes back to the page they asked
 * for. A form also needs the session's CSRF token before its action runs.
 *
 * @example
 * const { page, form } = signedInGuards(w)
 * app.get('/account/data', page((c, me) => …))
 * app.post('/account/password', formBodyLimit, form((c, me, fields) => …))
 */
import type { Context } from 'hono'
import type { SignedIn } from '../src/auth/web-session.js'
import type { WebSignIn } from '../src/auth/sign-in/web-sign-in.js'
import { readCheckedForm } from './page-response.js'
import { refusedFormPage } from './sign-in-routes.js'
import { signInUrlFor } from './return-path.js'

type PageHandler = (c: Context, me: SignedIn) => Response | Promise<Response>
type FormHandler = (c: Context, me: SignedIn, form: Record<string, string>) => Response | Promise<Response>

export function signedInGuards(w: WebSignIn) {
  const page = (handler: PageHandler) => (c: Context) => {
    const me = w.sessions.current(c)
    // A POST cannot be replayed after sign-in: it goes to plain sign-in.
    if (!me) return c.redirect(c.req.method === 'GET' ? signInUrlFor(c, w.paths) : w.paths.to('/sign-in'), 303)
    return handler(c, me)
  }
  const form = (handler: FormHandler) =>
    page(async (c, me) => {
      const fields = await readCheckedForm(c, w.sessions, me)
      return fields ? handler(c, me, fields) : refusedFormPage(c, w, me)
    })
  return { page, form }
}

/**
 * The front door at `/`. Mounted only when it is on (web/routes.tsx reads
 * branding.frontPage: HEARTH_FRONT_PAGE=off, or a host's `pages.frontPage: false`).
 */
import { Hono } from 'hono'
import type { AppContext } from '../src/context.js'
import type { WebSignIn } from '../src/auth/sign-in/web-sign-in.js'
import { FrontPage } from './pages/front-page.js'
import { sendPage } from './page-response.js'

export function frontRoutes(ctx: AppContext, w: WebSignIn): Hono {
  const app = new Hono()
  app.get('/', (c) => {
    const me = w.sessions.current(c)
    return sendPage(
      c,
      <FrontPage
        me={me}
        csrf={me ? w.sessions.csrfToken(c, me) : undefined}
        publicUrl={ctx.config.publicUrl}
        developerDocsUrl={ctx.config.developerDocsUrl}
        registration={ctx.config.registration}
      />,
    )
  })
  return app
}

/**
 * Moving an account here from the web page: the form (open to visitors who
 * are not signed in), the move's progress page and its JSON status, the
 * mailed code, and resuming a move that stopped. A move belongs to the
 * browser that started it (its browser cookie); when it is done, that
 * browser is signed in to the moved account, once.
 */
import { Hono, type Context } from 'hono'
import type { AppContext } from '../src/context.js'
import type { WebSignIn } from '../src/auth/sign-in/web-sign-in.js'
import { MoveInRefused } from '../src/move/move-in-jobs.js'
import { MoveInFormPage, MoveInStatusPage, PHASES } from './pages/move-in-page.js'
import { formBodyLimit, readCheckedForm, sendPage } from './page-response.js'
import { refusedFormPage } from './sign-in-routes.js'

export function moveInRoutes(ctx: AppContext, w: WebSignIn): Hono {
  const app = new Hono()
  const jobs = ctx.moves.moveIns
  const handleDomain = ctx.config.handleDomains[0]

  const formPage = (c: Context, problem?: string, values?: Record<string, string>, status: 200 | 400 = 200) => {
    const me = w.sessions.current(c)
    return sendPage(
      c,
      <MoveInFormPage
        me={me}
        csrf={w.sessions.csrfToken(c, me)}
        handleDomain={handleDomain}
        registration={ctx.config.registration}
        problem={problem}
        values={values}
      />,
      status,
    )
  }

  const statusPage = (c: Context, id: string, problem?: string, status: 200 | 400 = 200) => {
    const browser = w.sessions.existingBrowserToken(c)
    const did = jobs.takeSignIn(id, browser)
    if (did) {
      w.sessions.start(c, did, 'move')
      ctx.logger.info({ did }, 'move in: signed the browser in to the moved account')
      // Again, with the new session's cookie.
      return c.redirect(w.paths.to(`/account/move/in/${id}`), 303)
    }
    const view = jobs.view(id, browser)
    if (!view) return notFound(c)
    const me = w.sessions.current(c)
    return sendPage(c, <MoveInStatusPage me={me} csrf={w.sessions.csrfToken(c, me)} view={view} problem={problem} />, status)
  }

  const notFound = (c: Context) => formPage(c, 'There is no such move in this browser: moves are followed from the browser that started them.', undefined, 400)

  app.get('/account/move/in', (c) => formPage(c))

  app.post('/account/move/in', formBodyLimit, async (c) => {
    const me = w.sessions.current(c)
    const form = await readCheckedForm(c, w.sessions, me)
    if (!form) return refusedFormPage(c, w, me)
    const values = { identifier: form.identifier ?? '', service: form.service ?? '', newHandle: form.newHandle ?? '' }
    const identifier = values.identifier.trim().replace(/^@/, '')
    let newHandle = values.newHandle.trim().toLowerCase().replace(/^@/, '')
    if (!newHandle) newHandle = `${identifier.split('.')[0]}${handleDomain}`
    else if (!newHandle.includes('.')) newHandle = `${newHandle}${handleDomain}`
    try {
      const id = await jobs.start({
        browserToken: w.sessions.browserToken(c),
        identifier,
        service: values.service,
        password: form.password ?? '',
        newHandle,
        inviteCode: form.inviteCode?.trim() || undefined,
      })
      return c.redirect(w.paths.to(`/account/move/in/${id}`), 303)
    } catch (err) {
      if (err instanceof MoveInRefused) return formPage(c, err.message, values, 400)
      throw err
    }
  })

  app.get('/account/move/in/:id', (c) => statusPage(c, c.req.param('id')))

  app.get('/account/move/in/:id/status', (c) => {
    const view = jobs.view(c.req.param('id'), w.sessions.existingBrowserToken(c))
    c.header('Cache-Control', 'no-store')
    if (!view) return c.json({ error: 'NotFound', message: 'There is no such move in this browser' }, 404)
    const phaseLabel = view.progress && Object.hasOwn(PHASES, view.progress.phase) ? PHASES[view.progress.phase] : null
    return c.json({ state: view.state, progress: view.progress, phaseLabel, message: view.message, codeProblem: view.codeProblem })
  })

  app.post('/account/move/in/:id/code', formBodyLimit, async (c) => {
    const me = w.sessions.current(c)
    const form = await readCheckedForm(c, w.sessions, me)
    if (!form) return refusedFormPage(c, w, me)
    const id = c.req.param('id')
    const code = (form.code ?? '').trim()
    if (!code) return statusPage(c, id, 'Paste the code from the email.', 400)
    if (!jobs.giveCode(id, w.sessions.browserToken(c), code)) return statusPage(c, id, 'This move is not waiting for a code.', 400)
    return c.redirect(w.paths.to(`/account/move/in/${id}`), 303)
  })

  app.post('/account/move/in/:id/resume', formBodyLimit, async (c) => {
    const me = w.sessions.current(c)
    const form = await readCheckedForm(c, w.sessions, me)
    if (!form) return refusedFormPage(c, w, me)
    const id = c.req.param('id')
    try {
      await jobs.resume(id, { browserToken: w.sessions.browserToken(c), password: form.password ?? '', plcToken: form.code?.trim() || undefined })
    } catch (err) {
      if (err instanceof MoveInRefused) return statusPage(c, id, err.message, 400)
      throw err
    }
    return c.redirect(w.paths.to(`/account/move/in/${id}`), 303)
  })

  return app
}

/**
 * The activity page and its live stream. The stream is Server-Sent Events
 * on the web session's cookie (EventSource sends it; no token in a URL): it
 * first sends what happened after the marks the page was rendered with,
 * then each new item as the activity feed hears it.
 */
import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import type { AppContext } from '../src/context.js'
import type { WebSignIn } from '../src/auth/sign-in/web-sign-in.js'
import type { ActivityItem } from '../src/activity/activity-feed.js'
import { ActivityPage } from './pages/activity-page.js'
import { describeActivity } from './activity-view.js'
import type { AppNames } from './app-names.js'
import { sendPage } from './page-response.js'
import { signedInGuards } from './signed-in.js'

/** A quiet stream still says something this often, so proxies keep it open and a revoked session is noticed. */
const HEARTBEAT_MS = 20_000
/** A browser that stops reading is dropped past this many unsent items (it reloads what it missed on reconnect). */
const MAX_QUEUED = 1000

export function activityRoutes(ctx: AppContext, w: WebSignIn, names: AppNames): Hono {
  const app = new Hono()
  const { page: signedIn } = signedInGuards(w)
  const appDids = (items: ActivityItem[]) => items.flatMap((i) => (i.kind === 'read' ? [i.appDid] : []))

  app.get(
    '/account/activity',
    signedIn(async (c, me) => {
      const did = me.account.did
      // Marks first: anything landing while the page renders comes again over the stream, and the page drops the duplicate.
      const marks = ctx.activity.marks(did)
      const items = ctx.activity.recent(did)
      const handles = await names.handles(appDids(items))
      return sendPage(c, <ActivityPage me={me} csrf={w.sessions.csrfToken(c, me)} lines={items.map((i) => describeActivity(i, handles))} marks={marks} />)
    }),
  )

  app.get('/account/activity/stream', (c) => {
    const me = w.sessions.current(c)
    if (!me) return c.json({ error: 'AuthRequired', message: 'Sign in to follow your activity.' }, 401)
    const did = me.account.did
    const afterSeq = wholeNumber(c.req.query('seq'))
    const afterRead = wholeNumber(c.req.query('read'))
    c.header('Cache-Control', 'no-store')
    c.header('X-Accel-Buffering', 'no')
    return streamSSE(c, async (stream) => {
      const queue: ActivityItem[] = []
      let wake: (() => void) | null = null
      let overflow = false
      // since() and subscribe() in one synchronous turn: no item can fall between them.
      queue.push(...ctx.activity.since(did, afterSeq, afterRead).reverse())
      let ended = false
      const stop = ctx.activity.subscribe(
        did,
        (item) => {
          if (queue.length >= MAX_QUEUED) overflow = true
          else queue.push(item)
          wake?.()
        },
        () => {
          ended = true
          wake?.()
        },
      )
      stream.onAbort(() => wake?.())
      try {
        while (!stream.aborted && !stream.closed && !overflow && !ended) {
          while (queue.length > 0 && !stream.aborted) {
            const batch = queue.splice(0, queue.length)
            const handles = await names.handles(appDids(batch))
            for (const item of batch) await stream.writeSSE({ event: 'activity', id: item.id, data: JSON.stringify(describeActivity(item, handles)) })
          }
          const heardSomething = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), HEARTBEAT_MS)
            wake = () => {
              clearTimeout(timer)
              resolve(true)
            }
          })
          wake = null
          if (ended) break
          if (!heardSomething) {
            // The session may have ended (signed out elsewhere, account deleted): then the stream ends too.
            if (!w.sessionStore.list(did).some((s) => s.id === me.session.id) || !ctx.accounts.get(did)) break
            await stream.write(': still here\n\n')
          }
        }
      } finally {
        stop()
      }
    })
  })

  return app
}

function wholeNumber(raw: string | undefined): number {
  return raw && /^\d{1,15}$/.test(raw) ? Number(raw) : 0
}

/**
 * The person's pages for private data: their scopes and records, the apps
 * that can read them (grants, revoke, read logs), and access requests to
 * approve or deny. Same rules as the other account pages: a session for
 * every page, the session's CSRF token on every POST.
 */
import { Hono, type Context } from 'hono'
import type { AppContext } from '../src/context.js'
import type { SignedIn } from '../src/auth/web-session.js'
import type { WebSignIn } from '../src/auth/sign-in/web-sign-in.js'
import { isValidScopeName } from '../src/scope/scope-name.js'
import { grantStatus } from '../src/grant/grant-store.js'
import { decisionRedirect } from '../src/grant/approval-links.js'
import type { AccessRequest } from '../src/grant/access-requests.js'
import { HearthError } from '../src/errors/hearth-error.js'
import { httpStatusOf } from '../src/errors/http-answer.js'
import { ScopesPage } from './pages/scopes-page.js'
import { ScopeRecordsPage } from './pages/scope-records-page.js'
import { AppsPage } from './pages/apps-page.js'
import { GrantPage } from './pages/grant-page.js'
import { ApprovePage, GRANT_LENGTHS } from './pages/approve-page.js'
import { signInUrlFor } from './return-path.js'
import type { AppNames } from './app-names.js'
import { ErrorPage } from './pages/error-page.js'
import { formBodyLimit, sendPage } from './page-response.js'
import { signedInGuards } from './signed-in.js'

const RECORDS_PER_PAGE = 25

export function scopeRoutes(ctx: AppContext, w: WebSignIn, names: AppNames): Hono {
  const app = new Hono()
  const { catalog, grants, requests, readLog } = ctx.scopes

  const { page: signedIn, form: signedInForm } = signedInGuards(w)
  const notFound = (c: Context, me: SignedIn, message: string) =>
    sendPage(c, <ErrorPage title="Not found" message={message} kind="not-found" me={me} csrf={w.sessions.csrfToken(c, me)} />, 404)

  app.get(
    '/account/scopes',
    signedIn((c, me) => {
      const did = me.account.did
      const readers = new Map<string, Set<string>>()
      for (const g of grants.listForOwner(did)) {
        if (grantStatus(g) !== 'active') continue
        for (const s of g.scopes) (readers.get(s) ?? readers.set(s, new Set()).get(s)!).add(g.granteeDid)
      }
      const scopes = catalog.list(did).map((s) => ({
        scope: s.scope,
        records: s.records,
        latestCollectedAt: ctx.scopes.records.page(did, s.scope, { limit: 1 }).rows[0]?.collectedAt ?? null,
        readers: readers.get(s.scope)?.size ?? 0,
      }))
      return sendPage(c, <ScopesPage me={me} csrf={w.sessions.csrfToken(c, me)} scopes={scopes} deletions={ctx.scopes.deletions.forOwner(did)} />)
    }),
  )

  app.get(
    '/account/scopes/:scope',
    signedIn((c, me) => {
      const scope = c.req.param('scope')!
      const summary = isValidScopeName(scope) ? catalog.get(me.account.did, scope) : null
      if (!summary) return notFound(c, me, `You have no scope named “${scope.slice(0, 80)}”.`)
      const cursor = c.req.query('cursor') || undefined
      const page = ctx.repoReader.listRecords(me.account.did, scope, { limit: RECORDS_PER_PAGE, cursor }, scope)
      const records = page.records.map((r) => {
        const value = r.value as { collectedAt?: string; data?: unknown } | null
        return { rkey: r.uri.slice(r.uri.lastIndexOf('/') + 1), cid: r.cid, collectedAt: value?.collectedAt ?? '', data: value?.data }
      })
      return sendPage(
        c,
        <ScopeRecordsPage
          me={me}
          csrf={w.sessions.csrfToken(c, me)}
          scope={scope}
          total={summary.records}
          records={records}
          nextCursor={page.cursor}
          search={(c.req.query('key') ?? '').slice(0, 100)}
        />,
      )
    }),
  )

  const appsPage = async (c: Context, me: SignedIn, revoked?: string) => {
    const now = Date.now()
    const list = grants.listForOwner(me.account.did).map((grant) => ({
      grant,
      status: grantStatus(grant, now),
      reads: readLog.countForGrant(grant.id),
    }))
    const pending = requests.pendingFor(me.account.did, now)
    const handles = await names.handles([...list.map((g) => g.grant.granteeDid), ...pending.map((r) => r.appDid)])
    return sendPage(
      c,
      <AppsPage me={me} csrf={w.sessions.csrfToken(c, me)} pending={pending} grants={list} revoked={revoked} handles={handles} />,
    )
  }

  app.get('/account/apps', signedIn((c, me) => appsPage(c, me)))
  app.get('/account/requests', signedIn((c) => c.redirect(w.paths.to('/account/apps'), 303)))

  app.get(
    '/account/apps/:id',
    signedIn(async (c, me) => {
      const grant = grants.get(c.req.param('id')!)
      if (!grant || grant.ownerDid !== me.account.did) return notFound(c, me, 'You have no such grant.')
      return sendPage(
        c,
        <GrantPage
          me={me}
          csrf={w.sessions.csrfToken(c, me)}
          grant={grant}
          status={grantStatus(grant)}
          reads={readLog.forGrant(grant.id)}
          appHandle={await names.handle(grant.granteeDid)}
        />,
      )
    }),
  )

  app.post(
    '/account/apps/revoke',
    formBodyLimit,
    signedInForm((c, me, form) => {
      const grant = grants.revoke(me.account.did, form.id ?? '')
      if (!grant) return notFound(c, me, 'You have no such grant.')
      return appsPage(c, me, grant.id)
    }),
  )

  const approvePage = async (c: Context, me: SignedIn, request: AccessRequest, problem?: string, status: 200 | 400 | 409 = 200) => {
    const counts: Record<string, number> = {}
    for (const scope of request.requested) counts[scope] = catalog.get(me.account.did, scope)?.records ?? 0
    return sendPage(
      c,
      <ApprovePage me={me} csrf={w.sessions.csrfToken(c, me)} request={request} appHandle={await names.handle(request.appDid)} counts={counts} problem={problem} />,
      status,
    )
  }

  app.get('/account/requests/:id', async (c) => {
    const me = w.sessions.current(c)
    if (!me) return c.redirect(signInUrlFor(c, w.paths), 303)
    const request = requests.visibleTo(c.req.param('id'), me.account.did)
    if (!request) return notFound(c, me, 'This access request does not exist, or is for another account.')
    return approvePage(c, me, request)
  })

  app.post(
    '/account/requests/:id',
    formBodyLimit,
    signedInForm(async (c, me, form) => {
      const id = c.req.param('id')!
      const request = requests.visibleTo(id, me.account.did)
      if (!request) return notFound(c, me, 'This access request does not exist, or is for another account.')
      let decided: AccessRequest
      try {
        if (form.decision === 'deny') {
          decided = requests.deny(id, me.account.did)
        } else if (form.decision === 'approve') {
          // A deactivated account serves its data to no one, so it cannot give any away either.
          if (me.account.status !== 'active') return approvePage(c, me, request, 'This account is deactivated: activate it before approving access.', 400)
          const chosen = Object.keys(form)
            .filter((k) => k.startsWith('scope:') && form[k])
            .map((k) => k.slice('scope:'.length))
          const length = GRANT_LENGTHS.find((l) => l.value === (form.length ?? ''))
          if (!length) return approvePage(c, me, request, 'Choose how long the grant lasts.', 400)
          const grantForMs = length.days === null ? null : length.days * 24 * 3600_000
          decided = requests.approve(id, me.account.did, chosen, { grantForMs }).request
        } else {
          return approvePage(c, me, request, 'Choose Approve or Deny.', 400)
        }
      } catch (err) {
        if (err instanceof HearthError && httpStatusOf(err) < 500) {
          const now = requests.visibleTo(id, me.account.did) ?? request
          return approvePage(c, me, now, err.message, httpStatusOf(err) === 409 ? 409 : 400)
        }
        throw err
      }
      if (decided.redirectUri) return c.redirect(decisionRedirect(decided.redirectUri, decided.id, decided.status), 303)
      return approvePage(c, me, decided)
    }),
  )

  return app
}

function collectedAt(value: unknown): string | null {
  const v = value as { collectedAt?: unknown } | null
  return typeof v?.collectedAt === 'string' ? v.collectedAt : null
}

/**
 * The example app's routes: ask the person for two scopes, show the
 * approval link, and once approved show the granted records, kept current
 * by following the scoped stream. Everything Hearth-specific goes through
 * `hearth/client`; the rest is a plain Hono app.
 */
import { Hono } from 'hono'
import { HearthAppClient, type AccessRequest, type Follow, type ScopeRecord } from 'hearth/client'
import { approvalPage, recordsPage, recordsFragment } from './pages.js'

export interface ViewerOptions {
  client: HearthAppClient
  /** Whose scopes to ask for (handle or DID). */
  owner: string
  scopes: string[]
  /** Where the browser reaches this app (for the redirect back from Hearth). */
  publicUrl: string
}

export function createViewer(opts: ViewerOptions) {
  const { client, owner, scopes } = opts
  /** Records by "scope key", the latest version of each. */
  const records = new Map<string, ScopeRecord>()
  let request: AccessRequest | null = null
  let granted: string[] | null = null
  let follow: Follow | null = null

  /** Once approved: load what is there (verified), then follow changes from the stream. */
  async function start(scopesGranted: string[]) {
    granted = scopesGranted
    const ownerDid = (await client.getRequest(request!.id)).owner ?? owner
    for (const scope of scopesGranted) {
      for (const r of (await client.getRepo(ownerDid, scope)).records) records.set(`${scope} ${r.key}`, r)
    }
    follow = client.follow(scopesGranted, {
      onRecord: (r) => void records.set(`${r.scope} ${r.key}`, r),
      onDelete: (d) => void records.delete(`${d.scope} ${d.key}`),
    })
  }

  const sorted = () => [...records.values()].sort((a, b) => b.collectedAt.localeCompare(a.collectedAt))

  const app = new Hono()
  app.get('/', async (c) => {
    if (granted) return c.html(recordsPage(granted, sorted()))
    request ??= await client.requestAccess({ owner, scopes, reason: 'Scope viewer shows these records to you, live.', redirectUri: `${opts.publicUrl}/callback` })
    return c.html(approvalPage(request.approveUrl, scopes))
  })
  // Hearth sends the person back here with ?request=…&status=…; the decision itself is read from Hearth.
  app.get('/callback', async (c) => {
    const back = HearthAppClient.parseRedirect(c.req.url)
    if (!request || !back || back.requestId !== request.id) return c.text('Unknown request', 400)
    const decision = await client.getRequest(request.id)
    if (decision.status !== 'approved') {
      request = null
      return c.html(`<p>Not approved (${decision.status}). <a href="/">Ask again</a></p>`)
    }
    if (!granted) await start(decision.scopes)
    return c.redirect('/')
  })
  app.get('/records', (c) => c.html(recordsFragment(sorted())))
  return { app, close: () => follow?.close() }
}

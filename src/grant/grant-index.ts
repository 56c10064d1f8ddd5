/**
 * An app's active grants in memory, for the scoped firehose, which must
 * check a grant for every event at the moment it is sent. Reading SQLite
 * per event and subscriber would cost more than the send; instead each app's
 * grants are read once and read again whenever any grant changes (the
 * store's `version` moves), so a revoke takes effect on the very next event.
 * Expiry needs no change: it is compared with the clock on every check.
 *
 * @example
 * const index = new GrantIndex(grants)
 * index.grantFor(appDid, ownerDid, 'instagram.profile') // grant id or null
 */
import type { ActiveGrantScope, GrantStore } from './grant-store.js'

interface AppGrants {
  version: number
  byOwnerScope: Map<string, ActiveGrantScope[]>
  scopeNames: string[]
}

/** Apps whose grants stay cached; more are read again on use. */
const MAX_APPS = 1000

export class GrantIndex {
  private apps = new Map<string, AppGrants>()

  constructor(private store: GrantStore) {}

  /** The id of an active grant letting `app` read `owner`'s `scope` now, or null. */
  grantFor(app: string, owner: string, scope: string, now = Date.now()): string | null {
    const entries = this.load(app).byOwnerScope.get(`${owner} ${scope}`)
    if (!entries) return null
    for (const e of entries) if (e.expiresAt === null || e.expiresAt > now) return e.grantId
    return null
  }

  /** The names of the scopes the app holds any active grant for (from any owner). */
  scopeNames(app: string): readonly string[] {
    return this.load(app).scopeNames
  }

  private load(app: string): AppGrants {
    const cached = this.apps.get(app)
    if (cached && cached.version === this.store.version) return cached
    const version = this.store.version
    const byOwnerScope = new Map<string, ActiveGrantScope[]>()
    const names = new Set<string>()
    for (const g of this.store.activeForApp(app)) {
      const key = `${g.ownerDid} ${g.scope}`
      const list = byOwnerScope.get(key)
      if (list) list.push(g)
      else byOwnerScope.set(key, [g])
      names.add(g.scope)
    }
    const fresh = { version, byOwnerScope, scopeNames: [...names].sort() }
    this.apps.delete(app)
    if (this.apps.size >= MAX_APPS) this.apps.delete(this.apps.keys().next().value!)
    this.apps.set(app, fresh)
    return fresh
  }
}

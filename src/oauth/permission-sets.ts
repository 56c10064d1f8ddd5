/**
 * `include:` scopes: an app asks for a permission set (a lexicon of type
 * `permission-set`) and gets exactly the `repo:`/`rpc:` permissions it
 * lists. Hearth's own sets (`dev.hearth.scopeReader`, `dev.hearth.scopeWriter`,
 * any permission-set lexicon in `lexicons/`) are read locally; any other is
 * resolved over the network (src/oauth/remote-permission-sets.ts). Sets
 * are expanded when the person approves, so a token's scope names only
 * plain permissions. A set covers only NSIDs under its own group
 * (dev.hearth.scopeReader → dev.hearth.*), as the spec says.
 *
 * @example
 * await sets.expand('atproto include:dev.hearth.scopeReader') // 'atproto rpc?lxm=dev.hearth.grant.list&…&aud=*'
 */
import type { Lexicons } from '@atproto/lexicon'
import { IncludeScope, type LexiconPermissionSet } from '@atproto/oauth-scopes'
import { invalidScope } from './oauth-error.js'
import type { RemotePermissionSets } from './remote-permission-sets.js'

/** The sets a scope includes, by NSID: what the authorization page describes. */
export type ResolvedSets = ReadonlyMap<string, LexiconPermissionSet>

export class PermissionSets {
  constructor(
    private lexicons: Lexicons,
    private remote: RemotePermissionSets | null = null,
  ) {}

  /** The set Hearth ships under `nsid`, or null. */
  local(nsid: string): LexiconPermissionSet | null {
    const def = this.lexicons.getDef(nsid) as { type?: string } | undefined
    return def?.type === 'permission-set' ? (def as unknown as LexiconPermissionSet) : null
  }

  /** The set named `nsid`, local or remote; OAuthError invalid_scope naming why when it cannot be had. */
  async get(nsid: string): Promise<LexiconPermissionSet> {
    const own = this.local(nsid)
    if (own) return own
    if (!this.remote) throw invalidScope(`This server cannot resolve the permission set ${nsid}`)
    return this.remote.get(nsid)
  }

  /** Every set the scope includes, resolved (they are fetched in parallel). */
  async resolveAll(scope: string): Promise<ResolvedSets> {
    const includes = scope.split(' ').filter((v) => v.startsWith('include:')).map(parseInclude)
    const nsids = [...new Set(includes.map((i) => i.nsid))]
    const sets = await Promise.all(nsids.map((n) => this.get(n)))
    return new Map(nsids.map((n, i) => [n, sets[i]]))
  }

  /** The scope with every `include:` replaced by the permissions of its set; invalid_scope for a set it cannot resolve. */
  async expand(scope: string, resolved?: ResolvedSets): Promise<string> {
    const sets = resolved ?? (await this.resolveAll(scope))
    return expandWith(scope, sets)
  }
}

/** The expansion, once the sets are in hand. */
export function expandWith(scope: string, sets: ResolvedSets): string {
  const out = new Set<string>()
  for (const value of scope.split(' ').filter(Boolean)) {
    if (!value.startsWith('include:')) {
      out.add(value)
      continue
    }
    const include = parseInclude(value)
    const set = sets.get(include.nsid)
    if (!set) throw invalidScope(`The permission set ${include.nsid} was not resolved`)
    for (const s of include.toScopes(set)) out.add(s)
  }
  return [...out].join(' ')
}

function parseInclude(value: string): IncludeScope {
  const include = IncludeScope.fromString(value)
  if (!include) throw invalidScope(`${value.slice(0, 100)} is not a valid include: scope`)
  return include
}

/**
 * `include:<nsid>` scopes: an app asks for a permission set (a lexicon of
 * type `permission-set`) and gets exactly the `repo:`/`rpc:` permissions it
 * lists. Hearth resolves the sets it has lexicons for (its own
 * `dev.hearth.scopeReader` and `dev.hearth.scopeWriter` in `lexicons/`, and any other permission-set lexicon
 * loaded there) and expands them when the person approves, so a token's
 * scope names only plain permissions. A set covers only methods under its
 * own NSID group (dev.hearth.scopeReader → dev.hearth.*), as the spec says.
 *
 * @example
 * sets.expand('atproto include:dev.hearth.scopeReader') // 'atproto rpc:dev.hearth.scope.listRecords?aud=*'
 */
import type { Lexicons } from '@atproto/lexicon'
import { IncludeScope, type LexiconPermissionSet } from '@atproto/oauth-scopes'
import { invalidScope } from './oauth-error.js'

export class PermissionSets {
  constructor(private lexicons: Lexicons) {}

  /** The set named `nsid`, or null when Hearth has no such permission-set lexicon. */
  get(nsid: string): LexiconPermissionSet | null {
    const def = this.lexicons.getDef(nsid) as { type?: string } | undefined
    return def?.type === 'permission-set' ? (def as unknown as LexiconPermissionSet) : null
  }

  /** The scope string with every `include:` replaced by the permissions of its set; invalid_scope for a set it cannot resolve. */
  expand(scope: string): string {
    const out = new Set<string>()
    for (const value of scope.split(' ').filter(Boolean)) {
      if (!value.startsWith('include:')) {
        out.add(value)
        continue
      }
      const include = IncludeScope.fromString(value)
      if (!include) throw invalidScope(`${value.slice(0, 100)} is not a valid include: scope`)
      const set = this.get(include.nsid)
      if (!set) throw invalidScope(`This server cannot resolve the permission set ${include.nsid}`)
      for (const s of include.toScopes(set)) out.add(s)
    }
    return [...out].join(' ')
  }
}

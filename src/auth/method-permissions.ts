/**
 * What an OAuth token must allow for each XRPC method Hearth serves, in one
 * table. The router checks it on every call made with an OAuth token, after
 * the input is read (a write's permission depends on its collection, an
 * upload's on its MIME type). Sessions and app passwords are not checked
 * here: their reach is the auth mode (src/auth/request-auth.ts).
 *
 * - A method in the table says what it needs, or `OAUTH_REFUSED` for what an
 *   app acting through OAuth may never do (app passwords, sessions).
 * - Any other method that takes a token, Hearth's own `dev.hearth.*` among
 *   them, needs `rpc:<nsid>?aud=<this server>#atproto_pds` or `aud=*` (or a
 *   transitional scope that covers it); an app.bsky.* / chat.bsky.* method
 *   Hearth answers itself names the service it stands in for (the AppView).
 * - Forwarded calls are checked in src/auth/service-call-permission.ts.
 *
 * A missing permission is a 403 named `ScopeMissingError`, naming the scope
 * the app should have asked for, as the reference PDS answers.
 */
import { ScopeMissingError, ScopePermissions, isAtprotoAudience, type ScopePermissionsTransition } from '@atproto/oauth-scopes'
import type { AppContext } from '../context.js'
import { HearthError } from '../errors/hearth-error.js'

export interface CallFacts {
  params: any
  input: any
  contentType?: string
  /** The atproto-proxy header: which service an app.bsky.* / chat.bsky.* method is for. */
  proxyHeader?: string
}

type Need = (p: ScopePermissionsTransition, call: CallFacts, ctx: AppContext) => void

const OAUTH_REFUSED: Need = () => {
  throw new HearthError('forbidden', 'Forbidden', 'OAuth credentials are not supported for this endpoint')
}

const repoWrite =
  (...actions: Array<'create' | 'update' | 'delete'>): Need =>
  (p, call) => {
    for (const action of actions) p.assertRepo({ collection: String(call.input?.collection ?? ''), action })
  }

const WRITE_ACTION: Record<string, 'create' | 'update' | 'delete'> = {
  'com.atproto.repo.applyWrites#create': 'create',
  'com.atproto.repo.applyWrites#update': 'update',
  'com.atproto.repo.applyWrites#delete': 'delete',
}

/**
 * This server as the audience of rpc: permissions for its own methods:
 * `<service did>#atproto_pds`. A did:web with a port (a development server)
 * is no valid audience for permissions, so there only `aud=*` permissions
 * can name Hearth's methods.
 */
export function hearthAudience(ctx: AppContext): string {
  const aud = `${ctx.config.serviceDid}#atproto_pds`
  return isAtprotoAudience(aud) ? aud : '*'
}

const NEEDS = new Map<string, Need>([
  ['com.atproto.repo.createRecord', repoWrite('create')],
  // putRecord may make the record or replace it: both are asked, as the reference does.
  ['com.atproto.repo.putRecord', repoWrite('create', 'update')],
  ['com.atproto.repo.deleteRecord', repoWrite('delete')],
  [
    'com.atproto.repo.applyWrites',
    (p, call) => {
      const writes: Array<{ $type?: string; collection?: string }> = Array.isArray(call.input?.writes) ? call.input.writes : []
      for (const w of writes) {
        const action = Object.hasOwn(WRITE_ACTION, w.$type ?? '') ? WRITE_ACTION[w.$type!] : 'create'
        p.assertRepo({ collection: String(w.collection ?? ''), action })
      }
    },
  ],
  ['com.atproto.repo.uploadBlob', (p, call) => p.assertBlob({ mime: (call.contentType ?? '').split(';')[0].trim().toLowerCase() || 'application/octet-stream' })],
  // Who the session is: every token with `atproto` may ask (the email is left out without account:email, see getSession).
  ['com.atproto.server.getSession', () => {}],
  ['com.atproto.server.deactivateAccount', (p) => p.assertAccount({ attr: 'status', action: 'manage' })],
  ['com.atproto.server.activateAccount', (p) => p.assertAccount({ attr: 'status', action: 'manage' })],
  ['com.atproto.identity.updateHandle', (p) => p.assertIdentity({ attr: 'handle' })],
  // A token for another service: checked against that service in the method (auth/service-call-permission.ts).
  ['com.atproto.server.getServiceAuth', () => {}],
  ['com.atproto.server.createAppPassword', OAUTH_REFUSED],
  ['com.atproto.server.listAppPasswords', OAUTH_REFUSED],
  ['com.atproto.server.revokeAppPassword', OAUTH_REFUSED],
  ['com.atproto.server.refreshSession', OAUTH_REFUSED],
  ['com.atproto.server.deleteSession', OAUTH_REFUSED],
  // Granting an app someone's private data: only an explicit rpc: permission for it, never a transitional scope.
  [
    'dev.hearth.grant.create',
    (p, _call, ctx) => new ScopePermissions(p.scopes).assertRpc({ lxm: 'dev.hearth.grant.create', aud: hearthAudience(ctx) }),
  ],
])

/**
 * Whose method `nsid` is: Hearth's own (com.atproto.*, dev.hearth.*), or another
 * service's that Hearth answers for it (preferences, read-after-write views):
 * then the permission names that service, as it would for a proxied call.
 */
function audienceOf(ctx: AppContext, nsid: string, call: CallFacts): string {
  if (nsid.startsWith('com.atproto.') || nsid.startsWith('dev.hearth.')) return hearthAudience(ctx)
  return ctx.proxyTargets.audFor(nsid, call.proxyHeader) ?? hearthAudience(ctx)
}

/** Throws the 403 a missing permission gets; returns when the token allows the call. */
export function assertPermitted(ctx: AppContext, nsid: string, auth: { permissions: ScopePermissionsTransition }, call: CallFacts): void {
  const need: Need = NEEDS.get(nsid) ?? ((p) => p.assertRpc({ lxm: nsid, aud: audienceOf(ctx, nsid, call) }))
  try {
    need(auth.permissions, call, ctx)
  } catch (err) {
    if (err instanceof ScopeMissingError) throw new HearthError('forbidden', 'ScopeMissingError', err.message)
    throw err
  }
}

/** For a proxied call (another service's method): the token must allow `rpc:<lxm>?aud=<service>`. */
export function assertRpcPermitted(auth: { permissions: ScopePermissionsTransition }, lxm: string, aud: string): void {
  try {
    auth.permissions.assertRpc({ lxm, aud })
  } catch (err) {
    if (err instanceof ScopeMissingError) throw new HearthError('forbidden', 'ScopeMissingError', err.message)
    throw err
  }
}

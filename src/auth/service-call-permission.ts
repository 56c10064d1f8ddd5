/**
 * The one place that decides whether a caller's credentials may act at
 * another service: call method `lxm` at service `aud`, whether by a proxied
 * request or by asking getServiceAuth for a token. Every path that sends
 * the account's signature elsewhere goes through `assertMayCallService`.
 *
 * Today's rules (those of the reference PDS):
 * - a refresh token never calls anything;
 * - an app-password session made without the chat privilege (`privileged`)
 *   cannot reach `chat.bsky.*`, nor get a token for `createAccount` at
 *   another PDS (a migration is for the account password);
 * - nothing is allowed for a protected method (see proxy/method-classes.ts):
 *   those are checked by the callers, since getServiceAuth and the proxy
 *   answer them differently.
 *
 * - an OAuth access token needs `rpc:<lxm>?aud=<aud>` (or a transitional
 *   scope that covers it), checked here so that proxied calls and
 *   getServiceAuth cannot disagree.
 *
 * @example
 * assertMayCallService(auth, { lxm: 'chat.bsky.convo.listConvos', aud: 'did:web:api.bsky.chat#bsky_chat' })
 */
import type { Credentials } from './request-auth.js'
import { HearthError } from '../errors/hearth-error.js'
import { assertRpcPermitted } from './method-permissions.js'
import { isChatMethod, isPrivilegedMethod } from '../proxy/method-classes.js'

export interface ServiceCall {
  /** The method, or `*` for a token good for any method. */
  lxm: string
  /** The service DID, with its `#service-id` when the call names one. */
  aud: string
}

export function assertMayCallService(auth: Credentials, call: ServiceCall): void {
  if (auth.kind === 'oauth') return assertRpcPermitted(auth, call.lxm, call.aud)
  if (auth.kind !== 'access') throw new HearthError('unauthenticated', 'InvalidToken', 'A refresh token cannot call other services: use the access token')
  if (auth.claims.scope !== 'com.atproto.appPass') return
  if (isChatMethod(call.lxm)) {
    throw new HearthError('forbidden', 'InvalidToken',
      `${call.lxm} needs direct-message access: make an app password with the chat privilege ("privileged"), or sign in with the account password`,
    )
  }
  if (isPrivilegedMethod(call.lxm)) {
    throw new HearthError('forbidden', 'InvalidToken', `${call.lxm} needs the account password or a privileged app password`)
  }
}

/**
 * Full access: a session made with the account password. App passwords,
 * privileged or not, are not full access (the birth date preference, for one,
 * is not theirs to read).
 */
export function hasFullAccess(auth: Credentials): boolean {
  return auth.kind === 'access' && auth.claims.scope === 'com.atproto.access'
}

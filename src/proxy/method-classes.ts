/**
 * Which methods may leave the PDS, and which need more than an ordinary
 * app password. One list, read by the proxy, by getServiceAuth and by the
 * service-call permission check, so they can never disagree.
 */

/**
 * Methods about the account itself: its session, credentials, e-mail,
 * identity and PLC operations. They are answered by this PDS or not at all:
 * never forwarded to another service, and no service-auth token is minted
 * for them (such a token would let the service act on the account).
 */
export const PROTECTED_METHODS: ReadonlySet<string> = lowerSet([
  'com.atproto.admin.sendEmail',
  'com.atproto.identity.requestPlcOperationSignature',
  'com.atproto.identity.signPlcOperation',
  'com.atproto.identity.updateHandle',
  'com.atproto.server.activateAccount',
  'com.atproto.server.confirmEmail',
  'com.atproto.server.createAppPassword',
  'com.atproto.server.deactivateAccount',
  'com.atproto.server.getAccountInviteCodes',
  'com.atproto.server.getSession',
  'com.atproto.server.listAppPasswords',
  'com.atproto.server.requestAccountDelete',
  'com.atproto.server.requestEmailConfirmation',
  'com.atproto.server.requestEmailUpdate',
  'com.atproto.server.revokeAppPassword',
  'com.atproto.server.updateEmail',
])

/**
 * Whole namespaces that never leave the PDS, whatever an `atproto-proxy`
 * header says: account, session and identity management, admin, and
 * Hearth's own methods (scopes, grants). A method of these that Hearth does
 * not serve is a 404 here, not a question for some other server.
 */
const LOCAL_ONLY_PREFIXES = ['com.atproto.server.', 'com.atproto.identity.', 'com.atproto.admin.', 'com.atproto.sync.', 'dev.hearth.']

/** Direct messages: an app password reaches them only if it was made with the chat privilege (`privileged`). */
export function isChatMethod(nsid: string): boolean {
  return nsid.toLowerCase().startsWith('chat.bsky.')
}

/**
 * Methods that need full access (the account password, or a privileged app
 * password) to be called through the PDS or to get a service token for.
 */
export function isPrivilegedMethod(nsid: string): boolean {
  return isChatMethod(nsid) || nsid.toLowerCase() === 'com.atproto.server.createaccount'
}

/** True when `nsid` must be served by this PDS (or refused), never forwarded. */
export function isNeverProxied(nsid: string): boolean {
  const lower = nsid.toLowerCase()
  return PROTECTED_METHODS.has(lower) || LOCAL_ONLY_PREFIXES.some((p) => lower.startsWith(p))
}

/** NSIDs are compared case-insensitively, as the reference PDS does: a method spelled in other case is still the method. */
export function isProtectedMethod(nsid: string): boolean {
  return PROTECTED_METHODS.has(nsid.toLowerCase())
}

function lowerSet(items: string[]): ReadonlySet<string> {
  return new Set(items.map((s) => s.toLowerCase()))
}

/**
 * The permissions an app asks for, in plain words for the authorization
 * page and the Connected apps page. Parsing is @atproto/oauth-scopes';
 * the words are Hearth's.
 *
 * @example
 * describeScope('atproto repo:app.bsky.feed.post?action=create', sets)
 * // [{ scope: 'repo:…', text: 'Create posts (app.bsky.feed.post) in your public repository' }, …]
 */
import {
  AccountPermission,
  BlobPermission,
  IdentityPermission,
  IncludeScope,
  RepoPermission,
  RpcPermission,
} from '@atproto/oauth-scopes'
import type { ResolvedSets } from './permission-sets.js'
import { permissionSetWords } from './permission-set-words.js'

export interface PermissionLine {
  scope: string
  text: string
  /** A permission set's longer explanation (its lexicon's `detail`). */
  detail?: string
}

const ACTION_WORDS: Record<string, string> = { create: 'create', update: 'change', delete: 'delete' }

/** `sets`: the include: sets of the scope, resolved; `languages`: the reader's, best first (for the sets' words). */
export function describeScope(scope: string, sets: ResolvedSets | null, languages: readonly string[] = []): PermissionLine[] {
  const lines: PermissionLine[] = []
  for (const value of scope.split(' ').filter(Boolean)) {
    const include = value.startsWith('include:') ? IncludeScope.fromString(value) : null
    const set = include ? sets?.get(include.nsid) : undefined
    if (include && set) {
      const words = permissionSetWords(set, languages)
      lines.push({ scope: value, text: words.title ? `${words.title} (${include.nsid})` : `The permissions of ${include.nsid}`, ...(words.detail ? { detail: words.detail } : {}) })
      continue
    }
    lines.push({ scope: value, text: describeOne(value) })
  }
  return lines
}

function describeOne(value: string): string {
  switch (value) {
    case 'atproto':
      return 'Know who you are here (your DID and handle)'
    case 'transition:generic':
      return 'Everything an app password can do: read and write all of your public repository, upload files, and call other services as you'
    case 'transition:chat.bsky':
      return 'Read and send your Bluesky chat messages'
    case 'transition:email':
      return 'See your email address'
  }
  const repo = RepoPermission.fromString(value)
  if (repo) {
    const what = repo.collection.includes('*') ? 'records of any type' : `records of type ${repo.collection.join(', ')}`
    const verbs = repo.action.map((a) => ACTION_WORDS[a] ?? a).join(', ')
    return `${capital(verbs)} ${what} in your public repository`
  }
  const blob = BlobPermission.fromString(value)
  if (blob) return `Upload files (${blob.accept.join(', ')})`
  const rpc = RpcPermission.fromString(value)
  if (rpc) return `Call ${rpc.lxm.includes('*') ? 'any method' : rpc.lxm.join(', ')} at ${rpc.aud === '*' ? 'any service' : rpc.aud} as you`
  const account = AccountPermission.fromString(value)
  if (account) {
    if (account.attr === 'email') return account.action.includes('manage') ? 'See and change your email address' : 'See your email address'
    if (account.attr === 'status') return 'Deactivate or reactivate your account'
    return 'Manage your repository as a whole (import it)'
  }
  const identity = IdentityPermission.fromString(value)
  if (identity) return identity.attr === 'handle' ? 'Change your handle' : 'Change your identity (your DID document and handle)'
  const include = IncludeScope.fromString(value)
  if (include) return `The permissions of ${include.nsid}`
  return `Unknown permission ${value.slice(0, 100)}`
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}

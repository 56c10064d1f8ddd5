/**
 * Resolving identities for clients (com.atproto.identity.resolveDid,
 * resolveIdentity, refreshIdentity): a DID to its document, a handle to its
 * DID, and the handle verified both ways (the DID document claims it, and it
 * resolves back to the DID), else `handle.invalid`. This server's own
 * accounts' handles are answered from the account table (they resolve
 * through this server anyway); other handles through DNS and HTTPS.
 *
 * Errors are the lexicon's: HandleNotFound, DidNotFound, DidDeactivated
 * (400); a directory that cannot be reached is a 502.
 *
 * @example
 * const info = await identityInfo(ctx, 'alice.example.com') // { did, handle, didDoc }
 */
import { getHandle } from '@atproto/common'
import type { DidDocument } from '@atproto/identity'
import { isValidDid, isValidHandle, normalizeHandle } from '@atproto/syntax'
import type { AppContext } from '../context.js'
import { HearthError, invalidRequest } from '../errors/hearth-error.js'
import { serviceDomainOf } from './handles.js'

export interface IdentityInfo {
  did: string
  handle: string
  didDoc: DidDocument
}

export const INVALID_HANDLE = 'handle.invalid'

/** The DID document of `did`, fresh from the directory when `fresh`. */
export async function resolveDidDoc(ctx: AppContext, did: string, fresh = false): Promise<DidDocument> {
  let doc: DidDocument | null
  try {
    doc = await ctx.idResolver.did.resolve(did, fresh)
  } catch (err) {
    const status = (err as { status?: number }).status
    if (status === 410) throw invalidRequest(`${did} has been deactivated`, 'DidDeactivated')
    if (/unsupported did method|poorly formatted/i.test((err as Error).message)) throw invalidRequest(`Cannot resolve ${did}: ${(err as Error).message}`, 'DidNotFound')
    throw new HearthError('upstream-failed', 'UpstreamFailure', `Could not resolve ${did}: ${(err as Error).message.slice(0, 200)}`)
  }
  if (!doc) {
    if (did.startsWith('did:plc:') && (await isTombstoned(ctx.plc.url, did))) throw invalidRequest(`${did} has been deactivated`, 'DidDeactivated')
    throw invalidRequest(`No DID document for ${did}`, 'DidNotFound')
  }
  return doc
}

/** A tombstoned did:plc reads as "not found"; its last operation tells the two apart. */
async function isTombstoned(plcUrl: string, did: string): Promise<boolean> {
  try {
    const res = await fetch(`${plcUrl}/${encodeURIComponent(did)}/log/last`, { signal: AbortSignal.timeout(5000) })
    if (!res.ok) return false
    return ((await res.json()) as { type?: string }).type === 'plc_tombstone'
  } catch {
    return false
  }
}

/** The DID `handle` resolves to, or null. */
export async function handleToDid(ctx: AppContext, handle: string): Promise<string | null> {
  const local = ctx.accounts.getByHandle(handle)
  if (local && local.status !== 'deleted') return local.did
  if (serviceDomainOf(handle, ctx.config.handleDomains)) return null
  return (await ctx.idResolver.handle.resolve(handle).catch(() => undefined)) ?? null
}

export async function identityInfo(ctx: AppContext, identifier: string, fresh = false): Promise<IdentityInfo> {
  let did: string
  let askedHandle: string | null = null
  if (isValidDid(identifier)) {
    did = identifier
  } else if (isValidHandle(identifier)) {
    askedHandle = normalizeHandle(identifier)
    const found = await handleToDid(ctx, askedHandle)
    if (!found) throw invalidRequest(`${askedHandle} does not resolve to a DID`, 'HandleNotFound')
    did = found
  } else {
    throw invalidRequest('identifier must be a DID or a handle')
  }
  const didDoc = await resolveDidDoc(ctx, did, fresh)
  const claimed = getHandle(didDoc)
  let handle = INVALID_HANDLE
  if (claimed && isValidHandle(claimed)) {
    const normalized = normalizeHandle(claimed)
    // Asked by handle: that handle already resolved to this DID.
    const backTo = normalized === askedHandle ? did : await handleToDid(ctx, normalized)
    if (backTo === did) handle = normalized
  }
  if (askedHandle && handle !== askedHandle) {
    // The handle points at a DID whose document does not claim it back.
    throw invalidRequest(`${askedHandle} resolves to ${did}, whose DID document does not name it`, 'HandleNotFound')
  }
  return { did, handle, didDoc }
}

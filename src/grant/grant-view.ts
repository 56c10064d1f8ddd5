/**
 * How grants and access requests look to clients (dev.hearth.grant.defs
 * #grantView, dev.hearth.grant.getRequest): times as ISO strings, status
 * computed against the clock.
 */
import { grantStatus, type Grant } from './grant-store.js'
import type { AccessRequest } from './access-requests.js'

const iso = (ms: number) => new Date(ms).toISOString()

export function grantView(g: Grant, now = Date.now()) {
  return {
    id: g.id,
    grantee: g.granteeDid,
    scopes: g.scopes,
    createdAt: iso(g.createdAt),
    ...(g.expiresAt !== null ? { expiresAt: iso(g.expiresAt) } : {}),
    ...(g.revokedAt !== null ? { revokedAt: iso(g.revokedAt) } : {}),
    status: grantStatus(g, now),
    ...(g.requestId ? { request: g.requestId } : {}),
  }
}

export function accessRequestView(r: AccessRequest) {
  return {
    id: r.id,
    status: r.status,
    requested: r.requested,
    ...(r.status === 'approved' && r.approved ? { scopes: r.approved } : {}),
    ...(r.status === 'approved' || r.status === 'denied' ? { repo: r.ownerDid! } : {}),
    ...(r.grantId ? { grant: r.grantId } : {}),
    expiresAt: iso(r.expiresAt),
    ...(r.decidedAt !== null ? { decidedAt: iso(r.decidedAt) } : {}),
  }
}

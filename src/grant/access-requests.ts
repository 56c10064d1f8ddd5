/**
 * Access requests: an app asks for scopes; the owner approves all or some
 * of them, or denies. States move once: `pending → approved | denied |
 * expired`. Each move is one UPDATE guarded by `status = 'pending'`, and an
 * approval writes its grant in the same transaction, so two decisions can
 * never both win and an approval never exists without its grant. The scopes
 * approved are always a non-empty subset of those requested.
 *
 * A request names the account asked, or none: then whoever signs in and
 * opens the approval page decides for their own account (like a device
 * sign-in code), and the request becomes theirs.
 *
 * @example
 * const req = requests.create({ appDid, ownerDid: null, scopes: ['instagram.profile'], reason: 'Show your profile' })
 * requests.approve(req.id, ownerDid, ['instagram.profile'])
 */
import crypto from 'node:crypto'
import type { Db } from '../db/open-database.js'
import { HearthError, invalidRequest } from '../errors/hearth-error.js'
import type { Grant, GrantStore } from './grant-store.js'

export type AccessRequestStatus = 'pending' | 'approved' | 'denied' | 'expired'

/** How long a request waits for its owner before it expires. */
export const ACCESS_REQUEST_TTL_MS = 24 * 60 * 60_000
/** Most undecided requests one app may have at a time. */
export const MAX_PENDING_PER_APP = 50

export interface AccessRequest {
  id: string
  appDid: string
  /** The account asked, or (until decided) null when the app named none. */
  ownerDid: string | null
  requested: string[]
  reason: string
  redirectUri: string | null
  status: AccessRequestStatus
  approved: string[] | null
  grantId: string | null
  createdAt: number
  expiresAt: number
  decidedAt: number | null
}

export interface NewAccessRequest {
  appDid: string
  ownerDid: string | null
  scopes: string[]
  reason: string
  redirectUri?: string | null
}

interface Row {
  id: string
  app_did: string
  owner_did: string | null
  requested_scopes: string
  reason: string
  redirect_uri: string | null
  status: AccessRequestStatus
  approved_scopes: string | null
  grant_id: string | null
  created_at: number
  expires_at: number
  decided_at: number | null
}

export class AccessRequests {
  private insert
  private getStmt
  private pendingForStmt
  private pendingCountStmt
  private expireStmt
  private approveStmt
  private denyStmt

  constructor(
    private db: Db,
    private grants: GrantStore,
  ) {
    this.insert = db.prepare(
      `INSERT INTO access_request (id, app_did, owner_did, requested_scopes, reason, redirect_uri, status, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
    )
    this.getStmt = db.prepare<[string], Row>('SELECT * FROM access_request WHERE id = ?')
    this.pendingForStmt = db.prepare<[string], Row>(
      "SELECT * FROM access_request WHERE owner_did = ? AND status = 'pending' ORDER BY created_at DESC",
    )
    this.pendingCountStmt = db.prepare<[string], { n: number }>(
      "SELECT COUNT(*) AS n FROM access_request WHERE app_did = ? AND status = 'pending'",
    )
    this.expireStmt = db.prepare("UPDATE access_request SET status = 'expired', decided_at = expires_at WHERE status = 'pending' AND expires_at <= ?")
    this.approveStmt = db.prepare(
      `UPDATE access_request SET status = 'approved', approved_scopes = ?, grant_id = ?, owner_did = ?, decided_at = ?
       WHERE id = ? AND status = 'pending' AND expires_at > ? AND (owner_did IS NULL OR owner_did = ?)`,
    )
    this.denyStmt = db.prepare(
      `UPDATE access_request SET status = 'denied', owner_did = ?, decided_at = ?
       WHERE id = ? AND status = 'pending' AND expires_at > ? AND (owner_did IS NULL OR owner_did = ?)`,
    )
  }

  create(r: NewAccessRequest, now = Date.now()): AccessRequest {
    this.expireOverdue(now)
    if (this.pendingCountStmt.get(r.appDid)!.n >= MAX_PENDING_PER_APP) {
      throw new HearthError('rate-limited', 'TooManyPendingRequests', `This app already has ${MAX_PENDING_PER_APP} undecided requests: wait for them to be decided or to expire`)
    }
    const id = crypto.randomBytes(16).toString('base64url')
    this.insert.run(id, r.appDid, r.ownerDid, JSON.stringify(r.scopes), r.reason, r.redirectUri ?? null, now, now + ACCESS_REQUEST_TTL_MS)
    return this.get(id, now)!
  }

  /** The request as it stands now (an overdue pending one is expired first), or null. */
  get(id: string, now = Date.now()): AccessRequest | null {
    this.expireOverdue(now)
    const row = this.getStmt.get(id)
    return row ? toRequest(row) : null
  }

  /** Requests addressed to `owner` still waiting for a decision, newest first. */
  pendingFor(owner: string, now = Date.now()): AccessRequest[] {
    this.expireOverdue(now)
    return this.pendingForStmt.all(owner).map(toRequest)
  }

  /**
   * Approves `scopes` (a non-empty subset of those requested) for `decider`,
   * making the grant in the same transaction. Throws 404 for a request that
   * is not there or not addressed to `decider`, 409 when it is no longer
   * pending, 400 for scopes it did not ask for. `grantForMs` is how long the
   * grant lasts (none: until revoked), counted from the same `now` the grant
   * is created at.
   */
  approve(id: string, decider: string, scopes: string[], opts: { grantForMs?: number | null } = {}, now = Date.now()): { request: AccessRequest; grant: Grant } {
    const request = this.decidable(id, decider, now)
    const chosen = [...new Set(scopes)]
    if (chosen.length === 0) throw invalidRequest('Choose at least one scope to approve, or deny the request')
    const extra = chosen.filter((s) => !request.requested.includes(s))
    if (extra.length > 0) throw invalidRequest(`Not requested, so not approvable: ${extra.join(', ')}`)
    const ordered = request.requested.filter((s) => chosen.includes(s))
    return this.db.transaction(() => {
      const grant = this.grants.create(
        { owner: decider, grantee: request.appDid, scopes: ordered, expiresAt: opts.grantForMs == null ? null : now + opts.grantForMs, requestId: id },
        now,
      )
      const changed = this.approveStmt.run(JSON.stringify(ordered), grant.id, decider, now, id, now, decider).changes
      if (changed !== 1) throw notPending(this.getStmt.get(id)?.status ?? 'gone')
      return { request: this.get(id, now)!, grant }
    })()
  }

  /** Denies the request for `decider`; same refusals as approve. */
  deny(id: string, decider: string, now = Date.now()): AccessRequest {
    this.decidable(id, decider, now)
    const changed = this.denyStmt.run(decider, now, id, now, decider).changes
    if (changed !== 1) throw notPending(this.getStmt.get(id)?.status ?? 'gone')
    return this.get(id, now)!
  }

  /** A request `decider` may see: addressed to them or to nobody yet (for decided ones: decided by them). */
  visibleTo(id: string, decider: string, now = Date.now()): AccessRequest | null {
    const request = this.get(id, now)
    if (!request) return null
    if (request.ownerDid !== null && request.ownerDid !== decider) return null
    return request
  }

  private decidable(id: string, decider: string, now: number): AccessRequest {
    const request = this.visibleTo(id, decider, now)
    if (!request) throw new HearthError('not-found', 'RequestNotFound', 'No such access request for this account')
    if (request.status !== 'pending') throw notPending(request.status)
    return request
  }

  private expireOverdue(now: number): void {
    this.expireStmt.run(now)
  }
}

function notPending(status: string): HearthError {
  return new HearthError('conflict', 'RequestNotPending', `This request was already decided: it is ${status}`)
}

function toRequest(r: Row): AccessRequest {
  return {
    id: r.id,
    appDid: r.app_did,
    ownerDid: r.owner_did,
    requested: JSON.parse(r.requested_scopes) as string[],
    reason: r.reason,
    redirectUri: r.redirect_uri,
    status: r.status,
    approved: r.approved_scopes ? (JSON.parse(r.approved_scopes) as string[]) : null,
    grantId: r.grant_id,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    decidedAt: r.decided_at,
  }
}

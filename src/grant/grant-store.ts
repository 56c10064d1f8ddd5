/**
 * Grants: an owner lets one app (a DID) read a set of their scopes, until an
 * optional expiry or until revoked. A grant is never edited: revoking sets
 * `revoked_at`, and a new set of scopes is a new grant. Every change bumps
 * `version`, which the scoped firehose watches to re-read an app's grants.
 *
 * @example
 * const grant = grants.create({ owner: did, grantee: appDid, scopes: ['instagram.profile'] })
 * grants.activeGrantFor(appDid, did, 'instagram.profile') // → grant.id
 * grants.revoke(did, grant.id)
 */
import crypto from 'node:crypto'
import type { Db } from '../db/open-database.js'

export type GrantStatus = 'active' | 'revoked' | 'expired'

export interface Grant {
  id: string
  ownerDid: string
  granteeDid: string
  scopes: string[]
  /** ms since the epoch */
  createdAt: number
  expiresAt: number | null
  revokedAt: number | null
  requestId: string | null
}

/** One (owner, scope) an app may read now, and through which grant. */
export interface ActiveGrantScope {
  grantId: string
  ownerDid: string
  scope: string
  expiresAt: number | null
}

export interface NewGrant {
  owner: string
  grantee: string
  scopes: string[]
  expiresAt?: number | null
  requestId?: string | null
}

interface GrantRow {
  id: string
  owner_did: string
  grantee_did: string
  created_at: number
  expires_at: number | null
  revoked_at: number | null
  request_id: string | null
  scopes: string
}

export function grantStatus(grant: Grant, now = Date.now()): GrantStatus {
  if (grant.revokedAt !== null) return 'revoked'
  if (grant.expiresAt !== null && grant.expiresAt <= now) return 'expired'
  return 'active'
}

export class GrantStore {
  /** Bumped on every change to any grant. */
  version = 0
  private insertGrant
  private insertScope
  private getStmt
  private ownerStmt
  private revokeStmt
  private activeForStmt
  private activeForAppStmt

  constructor(private db: Db) {
    const select = `SELECT g.*, (SELECT json_group_array(scope) FROM (SELECT scope FROM scope_grant_scope s WHERE s.grant_id = g.id ORDER BY scope)) AS scopes
                    FROM scope_grant g`
    this.insertGrant = db.prepare(
      'INSERT INTO scope_grant (id, owner_did, grantee_did, created_at, expires_at, request_id) VALUES (?, ?, ?, ?, ?, ?)',
    )
    this.insertScope = db.prepare('INSERT OR IGNORE INTO scope_grant_scope (grant_id, scope) VALUES (?, ?)')
    this.getStmt = db.prepare<[string], GrantRow>(`${select} WHERE g.id = ?`)
    this.ownerStmt = db.prepare<[string], GrantRow>(`${select} WHERE g.owner_did = ? ORDER BY g.created_at DESC, g.id`)
    this.revokeStmt = db.prepare('UPDATE scope_grant SET revoked_at = ? WHERE id = ? AND owner_did = ? AND revoked_at IS NULL')
    this.activeForStmt = db.prepare<[string, string, string, number], { id: string }>(
      `SELECT g.id FROM scope_grant g JOIN scope_grant_scope s ON s.grant_id = g.id
       WHERE g.grantee_did = ? AND g.owner_did = ? AND s.scope = ? AND g.revoked_at IS NULL
         AND (g.expires_at IS NULL OR g.expires_at > ?)
       ORDER BY g.created_at LIMIT 1`,
    )
    this.activeForAppStmt = db.prepare<[string, number], { grant_id: string; owner_did: string; scope: string; expires_at: number | null }>(
      `SELECT g.id AS grant_id, g.owner_did, s.scope, g.expires_at FROM scope_grant g JOIN scope_grant_scope s ON s.grant_id = g.id
       WHERE g.grantee_did = ? AND g.revoked_at IS NULL AND (g.expires_at IS NULL OR g.expires_at > ?)`,
    )
  }

  /** Stores a new grant (inside the caller's transaction, if any). Scope names must be valid already. */
  create(g: NewGrant, now = Date.now()): Grant {
    const id = crypto.randomBytes(12).toString('base64url')
    this.db.transaction(() => {
      this.insertGrant.run(id, g.owner, g.grantee, now, g.expiresAt ?? null, g.requestId ?? null)
      for (const scope of g.scopes) this.insertScope.run(id, scope)
    })()
    this.version++
    return this.get(id)!
  }

  get(id: string): Grant | null {
    const row = this.getStmt.get(id)
    return row ? toGrant(row) : null
  }

  /** The owner's grants, newest first. */
  listForOwner(owner: string): Grant[] {
    return this.ownerStmt.all(owner).map(toGrant)
  }

  /**
   * Revokes one of the owner's grants; from now on it lets nothing through.
   * Returns the grant (revoked before or now), or null when the owner has no
   * grant with that id.
   */
  revoke(owner: string, id: string, now = Date.now()): Grant | null {
    const grant = this.get(id)
    if (!grant || grant.ownerDid !== owner) return null
    if (this.revokeStmt.run(now, id, owner).changes > 0) this.version++
    return this.get(id)
  }

  /** The id of a grant letting `app` read `owner`'s `scope` now, or null. */
  activeGrantFor(app: string, owner: string, scope: string, now = Date.now()): string | null {
    return this.activeForStmt.get(app, owner, scope, now)?.id ?? null
  }

  /** Every (owner, scope) the app may read now. */
  activeForApp(app: string, now = Date.now()): ActiveGrantScope[] {
    return this.activeForAppStmt.all(app, now).map((r) => ({ grantId: r.grant_id, ownerDid: r.owner_did, scope: r.scope, expiresAt: r.expires_at }))
  }
}

function toGrant(r: GrantRow): Grant {
  return {
    id: r.id,
    ownerDid: r.owner_did,
    granteeDid: r.grantee_did,
    scopes: JSON.parse(r.scopes) as string[],
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    requestId: r.request_id,
  }
}

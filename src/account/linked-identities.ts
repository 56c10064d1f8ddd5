/**
 * Sign-in identities (provider + subject) and the accounts they reach.
 *
 * The table's primary key is (provider, subject), so an identity reaches at
 * most one account. A first sign-in claims the identity's row before it makes
 * the account (did NULL, claim_id set); a second first sign-in racing with it
 * finds the claim and waits for the account instead of making another. A
 * claim left by a crashed process is taken over once it is old.
 *
 * @example
 * const { did, created } = await linked.signIn({ provider: 'github', subject: '583231', username: 'octocat', email: null })
 * linked.link(did, { provider: 'google', subject: '1098…', username: 'octo@example.com', email: 'octo@example.com' })
 */
import crypto from 'node:crypto'
import type { Config } from '../config.js'
import type { Db } from '../db/open-database.js'
import type { Logger } from '../logger.js'
import { assertServiceHandle, normalizeValidHandle } from '../identity/handles.js'
import { handleCandidates } from '../auth/sign-in/handle-candidates.js'
import { HearthError } from '../errors/hearth-error.js'
import type { AccountService } from './account-service.js'
import type { AccountStore } from './account-store.js'

export interface ExternalIdentity {
  provider: string
  subject: string
  /** The provider's user name (GitHub login, Google email): shown on the pages, source of the first handle. */
  username: string
  /** A verified email address, or null. */
  email: string | null
}

export interface LinkedIdentity extends ExternalIdentity {
  did: string
  createdAt: string
  lastSignInAt: string | null
}

interface Row {
  provider: string
  subject: string
  did: string | null
  claim_id: string | null
  claimed_at: number | null
  username: string
  email: string | null
  created_at: string
  last_sign_in_at: string | null
}

/** The identity already reaches another account. */
export class IdentityTakenError extends Error {
  constructor(provider: string) {
    super(`this ${provider} sign-in belongs to another account`)
  }
}

/** The account already has a sign-in with this provider. */
export class ProviderAlreadyLinkedError extends Error {
  constructor(provider: string) {
    super(`this account already has a ${provider} sign-in`)
  }
}

// A claim older than this was left by a process that died mid-way.
const STALE_CLAIM_MS = 5 * 60 * 1000
// How long a racing first sign-in waits for the one making the account.
const WAIT_FOR_CLAIM_MS = 60 * 1000
const POLL_MS = 50

export interface LinkedIdentitiesDeps {
  db: Db
  config: Config
  accounts: AccountStore
  accountService: AccountService
  logger: Logger
}

export class LinkedIdentities {
  constructor(private deps: LinkedIdentitiesDeps) {}

  /** The account an identity reaches, or null (also while its account is still being made). */
  accountOf(provider: string, subject: string): string | null {
    return this.row(provider, subject)?.did ?? null
  }

  forAccount(did: string): LinkedIdentity[] {
    return this.deps.db
      .prepare<[string], Row>('SELECT * FROM linked_identity WHERE did = ? ORDER BY created_at')
      .all(did)
      .map((r) => ({
        provider: r.provider,
        subject: r.subject,
        did: r.did!,
        username: r.username,
        email: r.email,
        createdAt: r.created_at,
        lastSignInAt: r.last_sign_in_at,
      }))
  }

  /**
   * The account this identity reaches; on its first sign-in, a new account
   * (did:plc, handle from the user name, signing key, first commit) made
   * through the admin path of AccountService.
   */
  async signIn(identity: ExternalIdentity): Promise<{ did: string; created: boolean }> {
    const deadline = Date.now() + WAIT_FOR_CLAIM_MS
    for (;;) {
      const row = this.row(identity.provider, identity.subject)
      if (row?.did) {
        this.touch(identity)
        return { did: row.did, created: false }
      }
      const claimId = crypto.randomBytes(16).toString('base64url')
      if (!row) {
        if (this.claim(identity, claimId)) return { did: await this.provision(identity, claimId), created: true }
      } else if (row.claimed_at! < Date.now() - STALE_CLAIM_MS) {
        if (this.takeOver(identity, row.claim_id!, claimId)) return { did: await this.provision(identity, claimId), created: true }
      } else if (Date.now() > deadline) {
        throw new HearthError('unavailable', 'SignInBusy', 'Another sign-in with this identity is still setting up the account; try again shortly')
      } else {
        await new Promise((r) => setTimeout(r, POLL_MS))
      }
    }
  }

  /**
   * Adds an identity to an account. Throws IdentityTakenError when it already
   * reaches (or is becoming) another account, ProviderAlreadyLinkedError when
   * the account has another identity of that provider. Linking an identity
   * the account already has is a no-op.
   */
  link(did: string, identity: ExternalIdentity): void {
    const existing = this.row(identity.provider, identity.subject)
    if (existing) {
      if (existing.did === did) return
      throw new IdentityTakenError(identity.provider)
    }
    try {
      const now = new Date().toISOString()
      this.deps.db
        .prepare(
          `INSERT INTO linked_identity (provider, subject, did, username, email, created_at, last_sign_in_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(identity.provider, identity.subject, did, identity.username, identity.email, now, now)
    } catch (err) {
      const message = (err as Error).message
      if (/UNIQUE constraint failed: linked_identity\.did/.test(message)) throw new ProviderAlreadyLinkedError(identity.provider)
      if (/UNIQUE constraint failed: linked_identity\.provider/.test(message)) throw new IdentityTakenError(identity.provider)
      throw err
    }
  }

  /**
   * Removes the account's sign-in with `provider`, unless it is the last way
   * into the pages: an account without a password keeps at least one.
   * Checked and done in one transaction, so two unlinks at once cannot both pass.
   */
  unlink(did: string, provider: string): 'unlinked' | 'last-way-in' | 'not-linked' {
    const { db, accounts } = this.deps
    return db.transaction(() => {
      const rows = db.prepare<[string], { provider: string }>('SELECT provider FROM linked_identity WHERE did = ?').all(did)
      if (!rows.some((r) => r.provider === provider)) return 'not-linked' as const
      const hasPassword = !!accounts.get(did)?.passwordHash
      if (rows.length === 1 && !hasPassword) return 'last-way-in' as const
      db.prepare('DELETE FROM linked_identity WHERE did = ? AND provider = ?').run(did, provider)
      return 'unlinked' as const
    })()
  }

  private row(provider: string, subject: string): Row | undefined {
    return this.deps.db.prepare<[string, string], Row>('SELECT * FROM linked_identity WHERE provider = ? AND subject = ?').get(provider, subject)
  }

  private touch(identity: ExternalIdentity): void {
    this.deps.db
      .prepare('UPDATE linked_identity SET last_sign_in_at = ?, username = ?, email = ? WHERE provider = ? AND subject = ?')
      .run(new Date().toISOString(), identity.username, identity.email, identity.provider, identity.subject)
  }

  private claim(identity: ExternalIdentity, claimId: string): boolean {
    return (
      this.deps.db
        .prepare(
          `INSERT INTO linked_identity (provider, subject, did, claim_id, claimed_at, username, email, created_at)
           VALUES (?, ?, NULL, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        )
        .run(identity.provider, identity.subject, claimId, Date.now(), identity.username, identity.email, new Date().toISOString()).changes === 1
    )
  }

  private takeOver(identity: ExternalIdentity, staleClaimId: string, claimId: string): boolean {
    return (
      this.deps.db
        .prepare(
          `UPDATE linked_identity SET claim_id = ?, claimed_at = ?
           WHERE provider = ? AND subject = ? AND did IS NULL AND claim_id = ?`,
        )
        .run(claimId, Date.now(), identity.provider, identity.subject, staleClaimId).changes === 1
    )
  }

  /** Makes the account for a claimed identity and points the claim at it; drops the claim on failure. */
  private async provision(identity: ExternalIdentity, claimId: string): Promise<string> {
    const { db, logger } = this.deps
    try {
      const did = await this.createAccount(identity)
      const done = db
        .prepare(
          `UPDATE linked_identity SET did = ?, claim_id = NULL, claimed_at = NULL, last_sign_in_at = ?
           WHERE provider = ? AND subject = ? AND claim_id = ?`,
        )
        .run(did, new Date().toISOString(), identity.provider, identity.subject, claimId)
      if (done.changes !== 1) {
        // Only when this attempt outlived STALE_CLAIM_MS and another took over.
        logger.error({ did, provider: identity.provider }, 'first sign-in lost its claim; the account it made has no sign-in')
        throw new HearthError('unavailable', 'SignInBusy', 'This sign-in took too long; sign in again')
      }
      logger.info({ did, provider: identity.provider }, 'account created by first sign-in')
      return did
    } catch (err) {
      db.prepare('DELETE FROM linked_identity WHERE provider = ? AND subject = ? AND claim_id = ? AND did IS NULL').run(
        identity.provider,
        identity.subject,
        claimId,
      )
      throw err
    }
  }

  /** Tries the candidate handles in order; the first free, valid one wins. */
  private async createAccount(identity: ExternalIdentity): Promise<string> {
    const { config, accounts, accountService } = this.deps
    const domain = config.handleDomains[0]
    let email = identity.email && !accounts.lookup(identity.email) ? identity.email : undefined
    for (const candidate of handleCandidates(identity.username, domain)) {
      if (!isUsableHandle(candidate, config.handleDomains) || accounts.getByHandle(candidate)) continue
      for (;;) {
        try {
          const account = await accountService.create({ handle: candidate, email }, { viaAdmin: true })
          return account.did
        } catch (err) {
          const code = err instanceof HearthError ? err.error : ''
          if (code === 'EmailNotAvailable' && email) {
            email = undefined // taken meanwhile: the account goes without it
            continue
          }
          if (code === 'HandleNotAvailable' || code === 'InvalidHandle') break // taken meanwhile: next candidate
          throw err
        }
      }
    }
    throw new HearthError('conflict', 'HandleNotAvailable', `No free handle could be derived from "${identity.username}"`)
  }
}

function isUsableHandle(handle: string, domains: string[]): boolean {
  try {
    assertServiceHandle(normalizeValidHandle(handle), domains)
    return true
  } catch {
    return false
  }
}

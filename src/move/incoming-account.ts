/**
 * An account moving in from another server, from its first call to its
 * activation: createAccount with the DID it already has (proved by a
 * service-auth JWT its current key signed) makes a deactivated account with
 * a fresh signing key here; activation checks that the DID document now
 * points here and names that key, then tells relays in one transaction
 * (#identity, #account active, #sync of the imported tree).
 */
import { Secp256k1Keypair } from '@atproto/crypto'
import type { IdResolver } from '@atproto/identity'
import type { Config } from '../config.js'
import type { AccountStore, Account } from '../account/account-store.js'
import type { InviteCodes } from '../account/invite-codes.js'
import { InviteUnusableError } from '../account/invite-codes.js'
import type { SigningKeyVault } from '../account/signing-key-vault.js'
import type { AccountService } from '../account/account-service.js'
import { hashPassword } from '../account/password-hash.js'
import type { ServiceJwtVerifier } from '../auth/service-jwt.js'
import type { EventLog } from '../sequencer/event-log.js'
import type { RepoCommitter } from '../repo/repo-committer.js'
import { SqlRepoStorage, type BlockTables } from '../repo/sql-repo-storage.js'
import { Repo } from '@atproto/repo'
import { assertServiceHandle, normalizeValidHandle } from '../identity/handles.js'
import { HearthError, invalidRequest } from '../errors/hearth-error.js'
import { ensureValidDid } from '@atproto/syntax'

export interface IncomingAccountDeps {
  config: Config
  accounts: AccountStore
  invites: InviteCodes
  vault: SigningKeyVault
  accountService: AccountService
  serviceJwt: ServiceJwtVerifier
  idResolver: IdResolver
  eventLog: EventLog
  committer: RepoCommitter
  tables: BlockTables
}

export interface IncomingAccountRequest {
  did: string
  handle: string
  email?: string
  password?: string
  inviteCode?: string
  /** The Authorization header's bearer token: a service-auth JWT from the DID. */
  serviceAuth: string | null
}

export const CREATE_ACCOUNT_NSID = 'com.atproto.server.createAccount'

export class IncomingAccounts {
  constructor(private deps: IncomingAccountDeps) {}

  /** A deactivated account for a DID that lives on another server today. */
  async create(req: IncomingAccountRequest): Promise<Account> {
    const { config, accounts, invites, vault, serviceJwt } = this.deps
    try {
      ensureValidDid(req.did)
    } catch {
      throw invalidRequest(`Invalid DID: ${req.did}`)
    }
    // The JWT proves the caller holds the DID's current signing key (its old server minted it for us).
    const claims = await serviceJwt.verify(req.serviceAuth, CREATE_ACCOUNT_NSID)
    if (claims.iss !== req.did) {
      throw new HearthError('unauthenticated', 'BadJwtIss', `The service-auth token was issued by ${claims.iss}, not by ${req.did}: ask the old server for one from the account`)
    }
    const handle = normalizeValidHandle(req.handle)
    assertServiceHandle(handle, config.handleDomains)
    const email = req.email?.trim().toLowerCase() || null
    if (email && !/^[^@\s]+@[^@\s]+$/.test(email)) throw invalidRequest('Invalid email address', 'InvalidEmail')
    if (req.password !== undefined && (req.password.length < 8 || req.password.length > 256)) {
      throw invalidRequest('Password must be 8 to 256 characters', 'InvalidPassword')
    }
    this.deps.accountService.checkRegistration(req.inviteCode)
    if (accounts.get(req.did)) throw invalidRequest(`An account for ${req.did} already exists on this server: sign in to it to go on moving`, 'AccountAlreadyExists')
    if (accounts.getByHandle(handle)) throw invalidRequest(`Handle already taken: ${handle}`, 'HandleNotAvailable')
    if (email && accounts.lookup(email)) throw invalidRequest('Email already taken', 'EmailNotAvailable')

    const keypair = await Secp256k1Keypair.create({ exportable: true })
    const sealed = vault.seal(req.did, await keypair.export())
    const passwordHash = req.password ? await hashPassword(req.password) : null
    // An empty repository until importRepo replaces it (checkAccountStatus always has a head to report).
    const empty = await Repo.formatInitCommit(new SqlRepoStorage(this.deps.tables, req.did), req.did, keypair)
    try {
      // No events yet: the account says nothing to relays until it is activated here.
      this.deps.eventLog.transaction(() => {
        if (config.registration === 'invite') invites.use(req.inviteCode!, req.did)
        accounts.insert({ did: req.did, handle, email, passwordHash, signingKeyEnc: sealed, status: 'deactivated' })
        this.deps.tables.applyCommit(req.did, '', empty)
      })
    } catch (err) {
      if (err instanceof InviteUnusableError) throw invalidRequest(err.message, 'InvalidInviteCode')
      const message = (err as Error).message
      if (/UNIQUE constraint failed: account.handle/.test(message)) throw invalidRequest(`Handle already taken: ${handle}`, 'HandleNotAvailable')
      if (/UNIQUE constraint failed: account.email/.test(message)) throw invalidRequest('Email already taken', 'EmailNotAvailable')
      if (/UNIQUE constraint failed: account.did/.test(message)) throw invalidRequest(`An account for ${req.did} already exists on this server`, 'AccountAlreadyExists')
      throw err
    }
    return accounts.get(req.did)!
  }

  /**
   * What stands between the account and activation here, as
   * checkAccountStatus reports it: does the DID document point here with
   * this server's key for the account?
   */
  async didDocProblem(account: Account): Promise<string | null> {
    let data: { pds: string; signingKey: string }
    try {
      data = await this.deps.idResolver.did.resolveAtprotoData(account.did, true)
    } catch (err) {
      return `its DID document could not be read: ${(err as Error).message}`
    }
    if (data.pds !== this.deps.config.publicUrl) {
      return `its DID document names ${data.pds} as its server, not ${this.deps.config.publicUrl}: submit the PLC operation first (getRecommendedDidCredentials, then submitPlcOperation)`
    }
    const ours = (await this.deps.vault.keypair(account.did, account.signingKeyEnc)).did()
    if (data.signingKey !== ours) return `its DID document names the signing key ${data.signingKey}, not this server's key for the account (${ours})`
    return null
  }

  /**
   * Activates the account once its DID document points here.
   */
  async activate(account: Account): Promise<void> {
    const problem = await this.didDocProblem(account)
    if (problem) throw invalidRequest(`Cannot activate ${account.did} here yet: ${problem}`, 'InvalidRequest')
    if (!this.deps.tables.getRoot.get(account.did, '')) throw invalidRequest(`${account.did} has no repository here`, 'RepoNotFound')
    // One transaction: the status, #identity, #account (active) and #sync of the head as it is.
    this.deps.accountService.setStatus(account.did, 'active')
  }
}

/**
 * Making accounts and changing who they are: a did:plc from a genesis
 * operation, a sealed secp256k1 key, the account row, the repo's first signed
 * commit and the first events, with everything local landing in one
 * transaction. Both createAccount and the sign-in flows come through here.
 */
import { Secp256k1Keypair, parseDidKey } from '@atproto/crypto'
import type { Config } from '../config.js'
import type { EventLog } from '../sequencer/event-log.js'
import type { RepoCommitter } from '../repo/repo-committer.js'
import type { PlcDirectory } from '../identity/plc-directory.js'
import { assertServiceHandle, normalizeValidHandle, serviceDomainOf } from '../identity/handles.js'
import { XrpcError, invalidRequest } from '../xrpc/xrpc-error.js'
import type { AccountStore, Account } from './account-store.js'
import type { InviteCodes } from './invite-codes.js'
import { InviteUnusableError } from './invite-codes.js'
import type { SigningKeyVault } from './signing-key-vault.js'
import { hashPassword } from './password-hash.js'

export interface NewAccount {
  handle: string
  email?: string
  password?: string
  inviteCode?: string
  recoveryKey?: string
}

export interface AccountServiceDeps {
  config: Config
  accounts: AccountStore
  invites: InviteCodes
  vault: SigningKeyVault
  plc: PlcDirectory
  committer: RepoCommitter
  eventLog: EventLog
  /** Ends the OAuth sessions of an account that stops being active (apps lose access at once). */
  endOAuthSessions?: (did: string) => void
}

export class AccountService {
  constructor(private deps: AccountServiceDeps) {}

  /**
   * Creates an account. `viaAdmin` skips the registration policy (the admin
   * path and first sign-ins through a provider make accounts whatever it is).
   */
  async create(req: NewAccount, opts: { viaAdmin?: boolean } = {}): Promise<Account> {
    const { config, accounts, invites, vault, plc, committer, eventLog } = this.deps
    const handle = normalizeValidHandle(req.handle)
    assertServiceHandle(handle, config.handleDomains)
    const email = req.email?.trim().toLowerCase() || null
    if (email && !/^[^@\s]+@[^@\s]+$/.test(email)) throw invalidRequest('Invalid email address', 'InvalidEmail')
    if (req.password !== undefined && (req.password.length < 8 || req.password.length > 256)) {
      throw invalidRequest('Password must be 8 to 256 characters', 'InvalidPassword')
    }
    // Checked here: the PLC directory would refuse the genesis op, and its refusal reads as our failure (502).
    if (req.recoveryKey !== undefined) {
      try {
        parseDidKey(req.recoveryKey)
      } catch {
        throw invalidRequest('recoveryKey must be a did:key of a secp256k1 or P-256 key')
      }
    }
    if (!opts.viaAdmin) this.checkRegistration(req.inviteCode)
    if (accounts.getByHandle(handle)) throw invalidRequest(`Handle already taken: ${handle}`, 'HandleNotAvailable')
    if (email && accounts.lookup(email)) throw invalidRequest('Email already taken', 'EmailNotAvailable')

    const keypair = await Secp256k1Keypair.create({ exportable: true })
    const passwordHash = req.password ? await hashPassword(req.password) : null
    let did: string
    try {
      did = await plc.createDid({
        signingKeyDid: keypair.did(),
        handle,
        pdsUrl: config.publicUrl,
        recoveryKey: req.recoveryKey,
      })
    } catch (err) {
      throw new XrpcError(502, 'UpstreamFailure', `The PLC directory refused the new DID: ${(err as Error).message}`)
    }
    const sealed = vault.seal(did, await keypair.export())
    try {
      await committer.createRepo(did, keypair, () => {
        if (!opts.viaAdmin && config.registration === 'invite') invites.use(req.inviteCode!, did)
        accounts.insert({ did, handle, email, passwordHash, signingKeyEnc: sealed })
        eventLog.appendIdentity(did, handle)
        eventLog.appendAccount(did, true)
      })
    } catch (err) {
      if (err instanceof InviteUnusableError) throw invalidRequest(err.message, 'InvalidInviteCode')
      if (/UNIQUE constraint failed: account.handle/.test((err as Error).message)) {
        throw invalidRequest(`Handle already taken: ${handle}`, 'HandleNotAvailable')
      }
      if (/UNIQUE constraint failed: account.email/.test((err as Error).message)) {
        throw invalidRequest('Email already taken', 'EmailNotAvailable')
      }
      throw err
    }
    return accounts.get(did)!
  }

  /** Changes the handle: a signed PLC update, then the row and an #identity event together. */
  async updateHandle(did: string, requested: string, verifyExternal: (handle: string) => Promise<string | undefined>): Promise<string> {
    const { config, accounts, plc, eventLog } = this.deps
    const handle = normalizeValidHandle(requested)
    if (serviceDomainOf(handle, config.handleDomains)) {
      assertServiceHandle(handle, config.handleDomains)
    } else if ((await verifyExternal(handle)) !== did) {
      throw invalidRequest(`${handle} does not resolve to ${did}: publish it by DNS TXT or /.well-known/atproto-did first`, 'InvalidHandle')
    }
    const taken = accounts.getByHandle(handle)
    if (taken && taken.did !== did) throw invalidRequest(`Handle already taken: ${handle}`, 'HandleNotAvailable')
    const account = accounts.get(did)
    if (!account) throw invalidRequest('Account not found', 'AccountNotFound')
    if (account.handle !== handle) {
      try {
        await plc.updateHandle(did, handle)
      } catch (err) {
        throw new XrpcError(502, 'UpstreamFailure', `The PLC directory refused the handle update: ${(err as Error).message}`)
      }
    }
    try {
      eventLog.transaction(() => {
        accounts.setHandle(did, handle)
        eventLog.appendIdentity(did, handle)
      })
    } catch (err) {
      if (/UNIQUE constraint failed/.test((err as Error).message)) throw invalidRequest(`Handle already taken: ${handle}`, 'HandleNotAvailable')
      throw err
    }
    return handle
  }

  /**
   * Replaces the account's signing key: the DID document names the new key
   * first (a PLC update), then the repo is re-signed with it, and relays hear
   * #identity and #sync in the transaction that stores the new sealed key.
   * Should the server stop between the two steps, the document already names
   * the new key and calling this again finishes the job.
   */
  async rotateSigningKey(did: string): Promise<{ signingKey: string; rev: string }> {
    const { accounts, vault, plc, committer, eventLog } = this.deps
    const account = accounts.get(did)
    if (!account) throw invalidRequest('Account not found', 'AccountNotFound')
    const keypair = await Secp256k1Keypair.create({ exportable: true })
    try {
      await plc.updateSigningKey(did, keypair.did())
    } catch (err) {
      throw new XrpcError(502, 'UpstreamFailure', `The PLC directory refused the key update: ${(err as Error).message}`)
    }
    const sealed = vault.seal(did, await keypair.export())
    const { rev } = await committer.resign(did, keypair, () => {
      // The vault's cached keypair follows the sealed key stored here: the next write signs with the new one.
      accounts.setSigningKey(did, sealed)
      eventLog.appendIdentity(did, account.handle)
    })
    return { signingKey: keypair.did(), rev }
  }

  /**
   * Sets the status and writes the #account event with it. Coming back to
   * active, relays also get #identity and #sync (the handle and the repo head
   * as they are now), as the reference PDS sends them.
   */
  setStatus(did: string, status: 'active' | 'deactivated' | 'takendown'): void {
    const { accounts, eventLog, committer } = this.deps
    eventLog.transaction(() => {
      const before = accounts.get(did)
      accounts.setStatus(did, status)
      const reactivated = status === 'active' && before !== null && before !== undefined && before.status !== 'active'
      if (reactivated) eventLog.appendIdentity(did, before.handle)
      eventLog.appendAccount(did, status === 'active', status === 'active' ? undefined : status)
      if (reactivated) committer.appendHeadSync(did)
    })
    if (status !== 'active') this.deps.endOAuthSessions?.(did)
  }

  private checkRegistration(inviteCode: string | undefined): void {
    const { config, invites } = this.deps
    if (config.registration === 'closed') {
      throw new XrpcError(403, 'Forbidden', 'Registration is closed on this server')
    }
    if (config.registration === 'invite') {
      if (!inviteCode) throw invalidRequest('An invite code is required', 'InvalidInviteCode')
      if (!invites.isUsable(inviteCode)) throw invalidRequest('Invite code is unknown, disabled or used up', 'InvalidInviteCode')
    }
  }
}

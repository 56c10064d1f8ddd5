/**
 * The PLC side of moving: what the DID document of an account moving in
 * must say (getRecommendedDidCredentials), checking and sending the
 * operation its old server signed (submitPlcOperation), and, for an account
 * moving away, signing the operation its new server will send
 * (signPlcOperation) once the person confirms with their code.
 */
import type { Config } from '../config.js'
import type { Account } from '../account/account-store.js'
import type { SigningKeyVault } from '../account/signing-key-vault.js'
import type { EventLog } from '../sequencer/event-log.js'
import type { PlcDirectory } from '../identity/plc-directory.js'
import type { PlcOperationTokens } from './plc-operation-tokens.js'
import { HearthError, invalidRequest } from '../errors/hearth-error.js'

export interface DidCredentials {
  rotationKeys: string[]
  alsoKnownAs: string[]
  verificationMethods: Record<string, string>
  services: Record<string, { type: string; endpoint: string }>
}

export interface PlcOperationsDeps {
  config: Config
  vault: SigningKeyVault
  plc: PlcDirectory
  tokens: PlcOperationTokens
  eventLog: EventLog
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const own = (o: Record<string, unknown>, k: string) => (Object.hasOwn(o, k) ? o[k] : undefined)

export class PlcOperations {
  constructor(private deps: PlcOperationsDeps) {}

  async recommended(account: Account): Promise<DidCredentials> {
    const { config, vault, plc } = this.deps
    const signingKey = (await vault.keypair(account.did, account.signingKeyEnc)).did()
    return {
      rotationKeys: [plc.rotationKeyDid],
      alsoKnownAs: [`at://${account.handle}`],
      verificationMethods: { atproto: signingKey },
      services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: config.publicUrl } },
    }
  }

  /** Checks that `op` hands the DID to this server, then sends it to the directory (which checks its signature). */
  async submit(account: Account, op: unknown): Promise<void> {
    const want = await this.recommended(account)
    if (!isRecord(op)) throw invalidRequest('operation must be a signed PLC operation object')
    const rotationKeys = own(op, 'rotationKeys')
    if (!Array.isArray(rotationKeys) || !rotationKeys.includes(want.rotationKeys[0])) {
      throw invalidRequest(`The operation's rotationKeys must include this server's rotation key ${want.rotationKeys[0]}`)
    }
    const methods = own(op, 'verificationMethods')
    if (!isRecord(methods) || own(methods, 'atproto') !== want.verificationMethods.atproto) {
      throw invalidRequest(`The operation's atproto verification method must be the key getRecommendedDidCredentials gives, ${want.verificationMethods.atproto}`)
    }
    const services = own(op, 'services')
    const pds = isRecord(services) ? own(services, 'atproto_pds') : undefined
    if (!isRecord(pds) || own(pds, 'type') !== 'AtprotoPersonalDataServer' || own(pds, 'endpoint') !== this.deps.config.publicUrl) {
      throw invalidRequest(`The operation's atproto_pds service must be this server, ${this.deps.config.publicUrl}`)
    }
    const aka = own(op, 'alsoKnownAs')
    if (!Array.isArray(aka) || !aka.includes(want.alsoKnownAs[0])) {
      throw invalidRequest(`The operation's alsoKnownAs must include the account's handle here, ${want.alsoKnownAs[0]}`)
    }
    try {
      await this.deps.plc.sendOperation(account.did, op as never)
    } catch (err) {
      const status = (err as { status?: number }).status
      const message = (err as Error).message
      // The directory answers 400 for a bad signature or a wrong prev: the caller's to fix.
      if (status !== undefined && status >= 400 && status < 500) throw invalidRequest(`The PLC directory refused the operation: ${message}`)
      throw new HearthError('upstream-failed', 'UpstreamFailure', `The PLC directory could not be reached or failed: ${message}`)
    }
    // Relays re-read the DID document of an account they follow; one moving in is not announced until activation.
    if (account.status === 'active') this.deps.eventLog.transaction(() => this.deps.eventLog.appendIdentity(account.did, account.handle))
  }

  /**
   * Signs, with this server's rotation key, the operation that changes what
   * the caller asks for (the rest stays), after using up their code.
   */
  async signForMove(account: Account, input: { token?: string } & Partial<DidCredentials>): Promise<Record<string, unknown>> {
    if (!input.token) throw invalidRequest('A confirmation code (token) is required: get one on the "Move your account" page', 'InvalidToken')
    const check = this.deps.tokens.consume(account.did, input.token)
    if (check === 'expired') throw invalidRequest('The confirmation code has expired: make a new one on the "Move your account" page', 'ExpiredToken')
    if (check === 'invalid') throw invalidRequest('The confirmation code is wrong or was already used: make a new one on the "Move your account" page', 'InvalidToken')
    let lastOp
    try {
      lastOp = await this.deps.plc.getLastOp(account.did)
    } catch (err) {
      throw new HearthError('upstream-failed', 'UpstreamFailure', `The PLC directory could not be read: ${(err as Error).message}`)
    }
    if (lastOp.type === 'plc_tombstone') throw invalidRequest(`${account.did} has been tombstoned`)
    const op = await this.deps.plc.signUpdate(lastOp, (current) => ({
      ...current,
      rotationKeys: input.rotationKeys ?? current.rotationKeys,
      alsoKnownAs: input.alsoKnownAs ?? current.alsoKnownAs,
      verificationMethods: input.verificationMethods ?? current.verificationMethods,
      services: input.services ?? current.services,
    }))
    return op as unknown as Record<string, unknown>
  }
}

/**
 * The server's side of did:plc: genesis operations for new accounts and
 * signed updates (handle changes), sent to the configured PLC directory with
 * @did-plc/lib. The server's rotation key signs them; the account's own
 * signing key is named as its `#atproto` verification method.
 */
import * as plc from '@did-plc/lib'
import { Secp256k1Keypair } from '@atproto/crypto'

export class PlcDirectory {
  private client: plc.Client

  private constructor(
    readonly url: string,
    private rotationKey: Secp256k1Keypair,
  ) {
    this.client = new plc.Client(url)
  }

  static async create(url: string, rotationKeyBytes: Uint8Array): Promise<PlcDirectory> {
    return new PlcDirectory(url, await Secp256k1Keypair.import(rotationKeyBytes, { exportable: false }))
  }

  get rotationKeyDid(): string {
    return this.rotationKey.did()
  }

  /** Builds, signs and submits the genesis op; resolves to the new DID. */
  async createDid(opts: { signingKeyDid: string; handle: string; pdsUrl: string; recoveryKey?: string }): Promise<string> {
    // Rotation keys go in order of decreasing authority: the person's own
    // recovery key comes first, so it can undo what this server's key signed.
    const rotationKeys = [...(opts.recoveryKey ? [opts.recoveryKey] : []), this.rotationKey.did()]
    const { op, did } = await plc.createOp({
      signingKey: opts.signingKeyDid,
      handle: opts.handle,
      pds: opts.pdsUrl,
      rotationKeys,
      signer: this.rotationKey as never,
    })
    await this.client.sendOperation(did, op)
    return did
  }

  async updateHandle(did: string, handle: string): Promise<void> {
    await this.client.updateHandle(did, this.rotationKey as never, handle)
  }

  /** Names a new `#atproto` signing key in the DID document. */
  async updateSigningKey(did: string, signingKeyDid: string): Promise<void> {
    await this.client.updateAtprotoKey(did, this.rotationKey as never, signingKeyDid)
  }

  /** The DID's newest operation, as the directory holds it. */
  async getLastOp(did: string) {
    return this.client.getLastOp(did)
  }

  /** Sends an operation someone else signed (an account moving here brings its own). */
  async sendOperation(did: string, op: plc.OpOrTombstone): Promise<void> {
    await this.client.sendOperation(did, op)
  }

  /**
   * Signs, without sending, the operation that follows `lastOp` with
   * `change` applied: for an account moving away, whose new server sends it.
   */
  async signUpdate(lastOp: plc.CompatibleOp, change: (current: plc.UnsignedOperation) => Omit<plc.UnsignedOperation, 'prev'>): Promise<plc.Operation> {
    return plc.createUpdateOp(lastOp, this.rotationKey as never, change)
  }

  async getDocumentData(did: string) {
    return this.client.getDocumentData(did)
  }

  async getDocument(did: string) {
    return this.client.getDocument(did)
  }
}

/**
 * A third-party app, as scope tests see one: its own did:plc, registered in
 * the test PLC directory with a secp256k1 key as its `atproto` verification
 * method, minting inter-service JWTs with that key and calling Hearth over
 * plain HTTP. Tokens are made here by hand (header.payload.signature), so
 * tests can also make every kind of bad one.
 *
 * @example
 * const app = await TestApp.register(server.plcUrl, 'notes')
 * const res = await app.call(server.url, 'dev.hearth.scope.listRecords', { params: { repo, scope } })
 */
import crypto from 'node:crypto'
import * as plc from '@did-plc/lib'
import { Secp256k1Keypair, type Keypair } from '@atproto/crypto'

export interface TokenOptions {
  aud: string
  lxm?: string
  iss?: string
  /** Seconds from now (default 60). */
  expIn?: number
  jti?: string | null
  alg?: string
  typ?: string | null
  /** Sign with this key instead of the app's own. */
  signer?: Keypair
  extra?: Record<string, unknown>
}

export interface CallResult {
  status: number
  headers: Headers
  bytes: Uint8Array
  json: any
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')

export class TestApp {
  private constructor(
    readonly did: string,
    readonly keypair: Secp256k1Keypair,
    readonly handle: string,
  ) {}

  /** Makes the app's DID: a genesis op naming its key as `atproto` signing key and as rotation key. */
  static async register(plcUrl: string, name: string): Promise<TestApp> {
    const keypair = await Secp256k1Keypair.create({ exportable: true })
    const handle = `${name}.apps.test`
    const { op, did } = await plc.createOp({
      signingKey: keypair.did(),
      handle,
      pds: 'https://apps.example',
      rotationKeys: [keypair.did()],
      signer: keypair as never,
    })
    await new plc.Client(plcUrl).sendOperation(did, op)
    return new TestApp(did, keypair, handle)
  }

  /** An inter-service JWT; every claim can be bent for negative tests. */
  async token(o: TokenOptions): Promise<string> {
    const now = Math.floor(Date.now() / 1000)
    const header: Record<string, unknown> = { alg: o.alg ?? 'ES256K' }
    if (o.typ !== null) header.typ = o.typ ?? 'JWT'
    const payload: Record<string, unknown> = {
      iss: o.iss ?? this.did,
      aud: o.aud,
      exp: now + (o.expIn ?? 60),
      iat: now,
      ...(o.lxm !== undefined ? { lxm: o.lxm } : {}),
      ...(o.jti === null ? {} : { jti: o.jti ?? crypto.randomBytes(16).toString('hex') }),
      ...o.extra,
    }
    const signingInput = `${b64(header)}.${b64(payload)}`
    const sig = await (o.signer ?? this.keypair).sign(Buffer.from(signingInput, 'utf8'))
    return `${signingInput}.${Buffer.from(sig).toString('base64url')}`
  }

  /**
   * Calls an XRPC method with a fresh token for it (or `token` as given;
   * null sends none). Queries with `params`, procedures with `body`.
   */
  async call(
    serverUrl: string,
    nsid: string,
    opts: { params?: Record<string, string | number>; body?: unknown; token?: string | null; aud?: string } = {},
  ): Promise<CallResult> {
    const url = new URL(`/xrpc/${nsid}`, serverUrl)
    for (const [k, v] of Object.entries(opts.params ?? {})) url.searchParams.set(k, String(v))
    const token = opts.token === undefined ? await this.token({ aud: opts.aud ?? (await serviceDid(serverUrl)), lxm: nsid }) : opts.token
    const headers: Record<string, string> = {}
    if (token) headers.authorization = `Bearer ${token}`
    if (opts.body !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(url, {
      method: opts.body === undefined ? 'GET' : 'POST',
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    })
    const bytes = new Uint8Array(await res.arrayBuffer())
    let json: any
    try {
      json = JSON.parse(Buffer.from(bytes).toString('utf8'))
    } catch {
      json = undefined
    }
    return { status: res.status, headers: res.headers, bytes, json }
  }
}

const serviceDids = new Map<string, string>()

/** The server's DID as describeServer reports it: the `aud` of every token. */
export async function serviceDid(serverUrl: string): Promise<string> {
  let did = serviceDids.get(serverUrl)
  if (!did) {
    const res = await fetch(new URL('/xrpc/com.atproto.server.describeServer', serverUrl))
    did = ((await res.json()) as { did: string }).did
    serviceDids.set(serverUrl, did)
  }
  return did
}

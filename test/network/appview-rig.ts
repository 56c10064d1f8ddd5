/**
 * The real AppView beside a Hearth, on loopback: `@atproto/bsky` (with its
 * data plane and a mock bsync, as `@atproto/dev-env`'s TestBsky runs it) on
 * a private PostgreSQL, the same PLC directory as Hearth, and Hearth's own
 * `com.atproto.sync.subscribeRepos` as its repo source (no relay).
 *
 * Hearth must know the AppView's URL and DID when it starts, and the AppView
 * needs Hearth's port: so the ports are picked first, and the AppView's DID
 * is computed ahead from its key (a did:plc is the hash of its signed genesis
 * operation, and secp256k1 signing here is deterministic); `start` checks that
 * the AppView registered exactly that DID.
 *
 * The AppView is told to accept tokens whose `aud` carries the service
 * fragment (`<did>#bsky_appview`), which Hearth sends on proxied calls, as
 * Bluesky's AppView accepts them.
 */
import * as plc from '@did-plc/lib'
import { Secp256k1Keypair } from '@atproto/crypto'
import { TestBsky } from '@atproto/dev-env/dist/bsky.js'
import { freePort } from '../helpers/test-server.js'
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js'

export interface AppViewPlan {
  port: number
  url: string
  did: string
  privateKey: Uint8Array
}

/** Picks the AppView's port and key, and the DID it will have. */
export async function planAppView(): Promise<AppViewPlan> {
  const port = await freePort()
  const key = await Secp256k1Keypair.create({ exportable: true })
  const url = `http://localhost:${port}`
  // What TestBsky.create sends to PLC as the genesis operation.
  const { did } = await plc.createOp({ signingKey: key.did(), rotationKeys: [key.did()], handle: 'bsky.test', pds: url, signer: key as never })
  return { port, url, did, privateKey: await key.export() }
}

export interface RunningAppView {
  bsky: TestBsky
  stop(): Promise<void>
}

export async function startAppView(plan: AppViewPlan, opts: { plcUrl: string; repoProvider: string; pg?: PrivatePostgres }): Promise<RunningAppView & { pg: PrivatePostgres }> {
  const pg = opts.pg ?? (await startPrivatePostgres())
  let bsky: TestBsky
  try {
    bsky = await TestBsky.create({
      port: plan.port,
      privateKey: plan.privateKey,
      plcUrl: opts.plcUrl,
      repoProvider: opts.repoProvider,
      dbPostgresUrl: pg.url,
      dbPostgresSchema: 'appview',
      alternateAudienceDids: [`${plan.did}#bsky_appview`],
    } as never)
  } catch (err) {
    await pg.stop()
    throw err
  }
  if (bsky.serverDid !== plan.did) {
    await bsky.close()
    await pg.stop()
    throw new Error(`the AppView registered ${bsky.serverDid}, not the planned ${plan.did}: TestBsky's genesis operation changed`)
  }
  return {
    bsky,
    pg,
    async stop() {
      await bsky.close().catch(() => {})
      await pg.stop()
    },
  }
}

/**
 * The standard migration, call by call, as `goat account migrate` makes
 * them with @atproto/api on both servers: service auth from the old server,
 * createAccount with the DID on the new one, the repo, the missing blobs,
 * preferences, the PLC operation (signed by the old server after the person
 * gives the code, sent by the new one), activation, deactivation.
 */
import { AtpAgent } from '@atproto/api'

export interface MigrateOptions {
  from: AtpAgent
  toUrl: string
  handle: string
  password: string
  email?: string
  /** The confirmation code the old server gave the person (after requestPlcOperationSignature). */
  plcToken: () => Promise<string>
  /** Extra account fields the new server needs (an invite code). */
  inviteCode?: string
}

export async function migrate(opts: MigrateOptions): Promise<AtpAgent> {
  const { from } = opts
  const did = from.session!.did
  const to = new AtpAgent({ service: opts.toUrl })
  const toDid = (await to.com.atproto.server.describeServer()).data.did
  const serviceAuth = await from.com.atproto.server.getServiceAuth({ aud: toDid, lxm: 'com.atproto.server.createAccount', exp: Math.floor(Date.now() / 1000) + 120 })
  await to.com.atproto.server.createAccount(
    { did, handle: opts.handle, password: opts.password, email: opts.email, inviteCode: opts.inviteCode },
    { headers: { authorization: `Bearer ${serviceAuth.data.token}` }, encoding: 'application/json' },
  )
  await to.login({ identifier: did, password: opts.password })

  const car = await from.com.atproto.sync.getRepo({ did })
  await to.com.atproto.repo.importRepo(car.data, { encoding: 'application/vnd.ipld.car' })

  let cursor: string | undefined
  do {
    const page = (await to.com.atproto.repo.listMissingBlobs({ cursor, limit: 100 })).data
    for (const { cid } of page.blobs) {
      const blob = await from.com.atproto.sync.getBlob({ did, cid })
      await to.com.atproto.repo.uploadBlob(blob.data, { encoding: blob.headers['content-type'] ?? 'application/octet-stream' })
    }
    cursor = page.cursor
  } while (cursor)

  const prefs = await from.app.bsky.actor.getPreferences()
  await to.app.bsky.actor.putPreferences({ preferences: prefs.data.preferences })

  const credentials = (await to.com.atproto.identity.getRecommendedDidCredentials()).data
  await from.com.atproto.identity.requestPlcOperationSignature()
  const signed = await from.com.atproto.identity.signPlcOperation({ token: await opts.plcToken(), ...credentials })
  await to.com.atproto.identity.submitPlcOperation({ operation: signed.data.operation })

  await to.com.atproto.server.activateAccount()
  await from.com.atproto.server.deactivateAccount({})
  return to
}

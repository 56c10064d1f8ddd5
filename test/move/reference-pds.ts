/**
 * The reference PDS (@atproto/pds, as @atproto/dev-env's TestPds runs it
 * in-process) on a loopback port, on the same PLC directory as Hearth, and
 * what the migration tests need from it: an account with posts, a profile
 * with an avatar, likes and preferences; and the PLC confirmation code it
 * would have mailed (read from its own database).
 */
import { TestPds } from '@atproto/dev-env'
import { AtpAgent } from '@atproto/api'

/** `extra`: more of the reference's environment (e.g. `emailSmtpUrl` + `emailFromAddress`, so its mail goes to a test inbox). */
export async function startReferencePds(plcUrl: string, extra: Record<string, unknown> = {}): Promise<TestPds> {
  return TestPds.create({ didPlcUrl: plcUrl, inviteRequired: false, logLevel: 'silent', ...extra } as never)
}

/** The code requestPlcOperationSignature stored (and would have mailed) for `did`. */
export async function referencePlcToken(pds: TestPds, did: string): Promise<string> {
  // Typed loosely: the reference's Kysely schema types do not travel across packages.
  const db = pds.ctx.accountManager.db.db as any
  const row = await db.selectFrom('email_token').selectAll().where('did', '=', did).where('purpose', '=', 'plc_operation').executeTakeFirstOrThrow()
  return row.token as string
}

/** A 1×1 PNG: the reference checks that an avatar is an image. */
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')

export interface FilledAccount {
  did: string
  handle: string
  password: string
  agent: AtpAgent
  avatarCid: string
}

/** An account on `url` with three posts, a profile with an avatar, a like and preferences. */
export async function fillAccount(url: string, handle: string): Promise<FilledAccount> {
  const agent = new AtpAgent({ service: url })
  const password = `pw-${handle}-long-enough`
  await agent.createAccount({ handle, password, email: `${handle}@example.com` })
  const did = agent.session!.did
  const posts = []
  for (const text of ['first', 'second', 'third']) {
    posts.push((await agent.com.atproto.repo.createRecord({ repo: did, collection: 'app.bsky.feed.post', record: { $type: 'app.bsky.feed.post', text, createdAt: new Date().toISOString() } })).data)
  }
  const avatar = (await agent.com.atproto.repo.uploadBlob(PNG, { encoding: 'image/png' })).data.blob
  await agent.com.atproto.repo.putRecord({
    repo: did,
    collection: 'app.bsky.actor.profile',
    rkey: 'self',
    record: { $type: 'app.bsky.actor.profile', displayName: 'Moving Person', avatar },
  })
  await agent.com.atproto.repo.createRecord({
    repo: did,
    collection: 'app.bsky.feed.like',
    record: { $type: 'app.bsky.feed.like', subject: { uri: posts[0].uri, cid: posts[0].cid }, createdAt: new Date().toISOString() },
  })
  await agent.app.bsky.actor.putPreferences({
    preferences: [
      { $type: 'app.bsky.actor.defs#adultContentPref', enabled: false },
      { $type: 'app.bsky.actor.defs#savedFeedsPrefV2', items: [{ id: '3l6ovcmm2vd2j', type: 'timeline', value: 'following', pinned: true }] },
    ],
  })
  return { did, handle, password, agent, avatarCid: avatar.ref.toString() }
}

/** Every record of `did` on `agent`'s server: uri → cid, by collection. */
export async function recordCids(agent: AtpAgent, did: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const { collections } = (await agent.com.atproto.repo.describeRepo({ repo: did })).data
  for (const collection of collections) {
    let cursor: string | undefined
    do {
      const page = (await agent.com.atproto.repo.listRecords({ repo: did, collection, limit: 100, cursor })).data
      for (const r of page.records) out[r.uri] = r.cid
      cursor = page.records.length === 100 ? page.cursor : undefined
    } while (cursor)
  }
  return out
}

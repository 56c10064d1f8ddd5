/**
 * SLOW (start-up ~6 s on an idle machine, ~20 s loaded: a private
 * PostgreSQL cluster, then the AppView's migrations): Hearth as a citizen of
 * the network, against the real open-source AppView. `@atproto/bsky` (the
 * AppView behind Bluesky, with its data plane) runs in-process on loopback
 * with its own PostgreSQL, the same PLC directory as Hearth, and Hearth's
 * own com.atproto.sync.subscribeRepos as its repo source (test/network/
 * appview-rig.ts). Everything a client does goes through Hearth with
 * @atproto/api; the AppView is called directly only to show what it has
 * (or has not yet) indexed, and to check getServiceAuth's token against its
 * own verifier.
 *
 * Covered: posts, follows and likes reach the AppView and its views come
 * back through Hearth's proxy (getTimeline, getProfile with the follow count,
 * getPostThread, getAuthorFeed); read-after-write while the AppView's indexer
 * is paused (getAuthorFeed, getTimeline, getPostThread, getProfile), then
 * caught up without duplicates; preferences on Hearth; getServiceAuth; a
 * proxy header naming a service the AppView's DID document lacks (400); a
 * protected method with a proxy header served by Hearth; the AppView stopped
 * (502).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AtpAgent, RichText } from '@atproto/api'
import { freePort, startTestPlc, startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'
import type { EmbeddedPlc } from '../../src/identity/embedded-plc.js'
import { expectXrpcError } from '../e2e/xrpc-expect.js'
import { planAppView, startAppView, type AppViewPlan, type RunningAppView } from './appview-rig.js'

let plc: EmbeddedPlc
let plan: AppViewPlan
let appView: RunningAppView
let server: TestServer
let alice: TestAccount
let bob: TestAccount
let bobPost: { uri: string; cid: string }

/** Polls `check` until it returns something truthy (the AppView indexes asynchronously). */
async function until<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const got = await check().catch(() => undefined)
    if (got) return got
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 150))
  }
}

/** The AppView, asked directly and anonymously: what it has indexed. */
const direct = () => new AtpAgent({ service: plan.url })
const authorFeedAtAppView = async (did: string) => (await direct().app.bsky.feed.getAuthorFeed({ actor: did })).data.feed.map((i) => i.post.uri)

beforeAll(async () => {
  plc = await startTestPlc()
  plan = await planAppView()
  const port = await freePort()
  server = await startTestServer({
    plc,
    config: { port } as never,
    env: { HEARTH_APPVIEW_URL: plan.url, HEARTH_APPVIEW_DID: plan.did, HEARTH_PROXY_ALLOW_HTTP_LOOPBACK: 'true' },
  })
  appView = await startAppView(plan, { plcUrl: plc.url, repoProvider: `ws://localhost:${port}` })
  alice = await server.createAccount('alice')
  bob = await server.createAccount('bob')
}, 180_000)

afterAll(async () => {
  await appView?.stop()
  await server?.close({ removeData: true })
  await plc?.close()
}, 60_000)

describe('through Hearth, from the AppView', () => {
  it('a post, a follow and a like reach the AppView; timeline, profile, thread and author feed come back with them', async () => {
    bobPost = await bob.agent.post({ text: 'hello from bob' })
    await alice.agent.follow(bob.did)
    await alice.agent.like(bobPost.uri, bobPost.cid)
    const alicePost = await alice.agent.post({ text: 'alice says hi' })

    // getProfile with the follow count (the AppView counts it once it has indexed the follow).
    const profile = await until('alice follows 1', async () => {
      const res = await alice.agent.getProfile({ actor: alice.did })
      return res.data.followsCount === 1 && res
    })
    expect(profile.data.did).toBe(alice.did)
    expect(profile.headers['atproto-repo-rev']).toBeTruthy()
    const bobProfile = await until('bob has 1 follower', async () => {
      const res = await alice.agent.getProfile({ actor: bob.did })
      return res.data.followersCount === 1 && res
    })
    expect(bobProfile.data.viewer?.following).toBeTruthy()

    // getTimeline: bob's post (alice follows bob), with alice's like on it.
    const timeline = await until('bob’s post liked in alice’s timeline', async () => {
      const res = await alice.agent.getTimeline()
      const item = res.data.feed.find((i) => i.post.uri === bobPost.uri)
      return item?.post.likeCount === 1 && res
    })
    const item = timeline.data.feed.find((i) => i.post.uri === bobPost.uri)!
    expect((item.post.record as { text: string }).text).toBe('hello from bob')
    expect(item.post.viewer?.like).toBeTruthy()
    expect(timeline.data.feed.some((i) => i.post.uri === alicePost.uri)).toBe(true)

    // getPostThread and getAuthorFeed.
    const thread = await alice.agent.getPostThread({ uri: bobPost.uri })
    const post = (thread.data.thread as { post: { uri: string; likeCount?: number; author: { did: string } } }).post
    expect(post).toMatchObject({ uri: bobPost.uri, likeCount: 1, author: { did: bob.did } })
    const feed = await alice.agent.getAuthorFeed({ actor: bob.did })
    expect(feed.data.feed.map((i) => i.post.uri)).toEqual([bobPost.uri])
  })

  it('the proxy header may name the AppView itself; a service its DID document lacks is a 400', async () => {
    const named = await alice.agent.app.bsky.actor.getProfile({ actor: bob.did }, { headers: { 'atproto-proxy': `${plan.did}#bsky_appview` } })
    expect(named.data.did).toBe(bob.did)
    await expectXrpcError(
      alice.agent.app.bsky.actor.getProfile({ actor: bob.did }, { headers: { 'atproto-proxy': `${plan.did}#no_such_service` } }),
      400,
      'InvalidRequest',
    )
    await expectXrpcError(alice.agent.app.bsky.actor.getProfile({ actor: bob.did }, { headers: { 'atproto-proxy': 'nonsense' } }), 400, 'InvalidRequest')
  })

  it('a protected method with a proxy header is answered by Hearth, not the AppView', async () => {
    const proxy = { headers: { 'atproto-proxy': `${plan.did}#bsky_appview` } }
    const session = await alice.agent.com.atproto.server.getSession(undefined, proxy)
    expect(session.data).toMatchObject({ did: alice.did, handle: alice.handle })
    const made = await alice.agent.com.atproto.server.createAppPassword({ name: 'through-proxy-header' }, proxy)
    expect(made.data.password).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/)
    const list = await alice.agent.com.atproto.server.listAppPasswords(undefined, proxy)
    expect(list.data.passwords.map((p) => p.name)).toContain('through-proxy-header')
  })

  it('preferences round-trip, kept on Hearth', async () => {
    await alice.agent.setAdultContentEnabled(true)
    await alice.agent.addSavedFeeds([{ type: 'timeline', value: 'following', pinned: true }])
    const prefs = await alice.agent.getPreferences()
    expect(prefs.moderationPrefs.adultContentEnabled).toBe(true)
    expect(prefs.savedFeeds.map((f) => f.value)).toContain('following')
    const stored = server.pds.ctx.preferences.get(alice.did, 'app.bsky', { fullAccess: true })
    expect(stored.find((p) => p.$type === 'app.bsky.actor.defs#adultContentPref')).toMatchObject({ enabled: true })
  })

  it("getServiceAuth's token is accepted by the AppView's own verifier", async () => {
    const lxm = 'app.bsky.notification.getUnreadCount'
    const { data } = await alice.agent.com.atproto.server.getServiceAuth({ aud: plan.did, lxm })
    const withToken = direct()
    const res = await withToken.app.bsky.notification.getUnreadCount(undefined, { headers: { authorization: `Bearer ${data.token}` } })
    expect(res.data.count).toBeGreaterThanOrEqual(0)
    // The AppView's verifier is the judge: without a token, or with one for another method, it refuses.
    await expect(direct().app.bsky.notification.getUnreadCount()).rejects.toMatchObject({ status: 401 })
    const other = await alice.agent.com.atproto.server.getServiceAuth({ aud: plan.did, lxm: 'app.bsky.feed.getTimeline' })
    await expect(
      direct().app.bsky.notification.getUnreadCount(undefined, { headers: { authorization: `Bearer ${other.data.token}` } }),
    ).rejects.toMatchObject({ status: 401 })
  })
})

describe('read-after-write, while the AppView has not indexed the newest writes', () => {
  it('the author feed, timeline, thread and profile show them; once it catches up they are there once', async () => {
    const sub = appView.bsky.sub
    await sub.destroy() // the AppView stops reading Hearth's firehose

    const fresh = await alice.agent.post({ text: 'written a moment ago' })
    const rt = new RichText({ text: 'a reply, also new' })
    const reply = await alice.agent.post({ text: rt.text, reply: { root: bobPost, parent: bobPost } })
    await alice.agent.upsertProfile((p) => ({ ...p, displayName: 'Alice Anew', description: 'fresh bio' }))
    // The AppView does not have them:
    expect(await authorFeedAtAppView(alice.did)).not.toContain(fresh.uri)

    const feed = await alice.agent.getAuthorFeed({ actor: alice.did })
    expect(feed.data.feed[0].post.uri).toBe(reply.uri)
    expect(feed.data.feed[1].post.uri).toBe(fresh.uri)
    expect((feed.data.feed[1].post.record as { text: string }).text).toBe('written a moment ago')
    expect(feed.data.feed[1].post.author.displayName).toBe('Alice Anew')
    expect(Number(feed.headers['atproto-upstream-lag'])).toBeGreaterThanOrEqual(0)
    // Filters apply to the merged posts too.
    const noReplies = await alice.agent.getAuthorFeed({ actor: alice.did, filter: 'posts_no_replies' })
    expect(noReplies.data.feed.map((i) => i.post.uri)).not.toContain(reply.uri)
    expect(noReplies.data.feed[0].post.uri).toBe(fresh.uri)
    // Someone else's feed is the AppView's answer as it is.
    expect((await alice.agent.getAuthorFeed({ actor: bob.did })).data.feed.map((i) => i.post.uri)).toEqual([bobPost.uri])

    const timeline = await alice.agent.getTimeline()
    expect(timeline.data.feed.map((i) => i.post.uri)).toContain(fresh.uri)

    const own = await alice.agent.getPostThread({ uri: fresh.uri })
    expect((own.data.thread as { post: { uri: string } }).post.uri).toBe(fresh.uri)
    const bobsThread = await alice.agent.getPostThread({ uri: bobPost.uri })
    const replies = (bobsThread.data.thread as { replies?: { post: { uri: string } }[] }).replies ?? []
    expect(replies.map((r) => r.post.uri)).toContain(reply.uri)

    const profile = await alice.agent.getProfile({ actor: alice.did })
    expect(profile.data).toMatchObject({ displayName: 'Alice Anew', description: 'fresh bio' })

    // The AppView reads the firehose again and catches up: each post is there once.
    await sub.restart()
    await until('the AppView indexed the new post', async () => (await authorFeedAtAppView(alice.did)).includes(fresh.uri))
    const caughtUp = await until('the AppView indexed everything', async () => {
      const res = await alice.agent.getAuthorFeed({ actor: alice.did })
      return res.headers['atproto-upstream-lag'] === undefined && res
    })
    const uris = caughtUp.data.feed.map((i) => i.post.uri)
    expect(uris.filter((u) => u === fresh.uri)).toHaveLength(1)
    expect(uris.filter((u) => u === reply.uri)).toHaveLength(1)
  })
})

describe('when the AppView is down', () => {
  it('proxied calls get 502 UpstreamFailure; what Hearth holds itself still works', async () => {
    await appView.stop()
    await expectXrpcError(alice.agent.getTimeline(), 502, 'UpstreamFailure')
    await expectXrpcError(alice.agent.getProfile({ actor: bob.did }), 502, 'UpstreamFailure')
    await expectXrpcError(alice.agent.app.bsky.notification.listNotifications(), 502, 'UpstreamFailure')
    expect((await alice.agent.app.bsky.actor.getPreferences()).data.preferences.length).toBeGreaterThan(0)
    expect((await alice.agent.com.atproto.server.getSession()).data.did).toBe(alice.did)
  })
})

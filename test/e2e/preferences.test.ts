/**
 * Preferences kept on Hearth (app.bsky.actor.getPreferences/putPreferences),
 * through @atproto/api as a Bluesky client uses them: round trip in order,
 * a put replaces the namespace, input checked against the lexicon, the birth
 * date private to full access (an app password neither sees nor overwrites
 * it), the derived age preference read-only, each account its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AtpAgent } from '@atproto/api'
import { startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'
import { expectXrpcError } from './xrpc-expect.js'

let server: TestServer
let alice: TestAccount
let bob: TestAccount

beforeAll(async () => {
  server = await startTestServer()
  alice = await server.createAccount('alice')
  bob = await server.createAccount('bob')
})
afterAll(() => server?.close({ removeData: true }))

const ADULT = 'app.bsky.actor.defs#adultContentPref'
const LABEL = 'app.bsky.actor.defs#contentLabelPref'
const DETAILS = 'app.bsky.actor.defs#personalDetailsPref'
const AGE = 'app.bsky.actor.defs#declaredAgePref'

const prefsOf = async (agent: AtpAgent) => (await agent.app.bsky.actor.getPreferences()).data.preferences
const put = (agent: AtpAgent, preferences: unknown[]) => agent.app.bsky.actor.putPreferences({ preferences: preferences as never })

async function appPasswordAgent(account: TestAccount, privileged = false): Promise<AtpAgent> {
  const { data } = await account.agent.com.atproto.server.createAppPassword({ name: `prefs-${Math.random()}`, privileged })
  const agent = server.agent()
  await agent.login({ identifier: account.handle, password: data.password })
  return agent
}

describe('preferences', () => {
  it('start empty, round-trip in order, and a put replaces them all', async () => {
    expect(await prefsOf(alice.agent)).toEqual([])
    const first = [
      { $type: LABEL, label: 'gore', visibility: 'hide' },
      { $type: ADULT, enabled: true },
      { $type: LABEL, label: 'nudity', visibility: 'warn' },
    ]
    await put(alice.agent, first)
    expect(await prefsOf(alice.agent)).toEqual(first)
    await put(alice.agent, [{ $type: ADULT, enabled: false }])
    expect(await prefsOf(alice.agent)).toEqual([{ $type: ADULT, enabled: false }])
  })

  it("work with @atproto/api's preference helpers", async () => {
    await bob.agent.setAdultContentEnabled(true)
    await bob.agent.addSavedFeeds([{ type: 'timeline', value: 'following', pinned: true }])
    const prefs = await bob.agent.getPreferences()
    expect(prefs.moderationPrefs.adultContentEnabled).toBe(true)
    expect(prefs.savedFeeds.map((f) => f.value)).toContain('following')
  })

  it('each account has its own', async () => {
    await put(alice.agent, [{ $type: ADULT, enabled: false }])
    expect((await prefsOf(bob.agent)).find((p) => p.$type === ADULT)).toMatchObject({ enabled: true })
  })

  it('refuses input the lexicon refuses, or outside app.bsky, and keeps what was there', async () => {
    await put(alice.agent, [{ $type: ADULT, enabled: false }])
    await expectXrpcError(put(alice.agent, [{ $type: ADULT, enabled: 'yes' }]), 400, 'InvalidRequest')
    await expectXrpcError(put(alice.agent, [{ enabled: true }]), 400, 'InvalidRequest')
    await expectXrpcError(put(alice.agent, [{ $type: 'com.example.pref', x: 1 }]), 400, 'InvalidRequest')
    await expectXrpcError(alice.agent.app.bsky.actor.putPreferences({} as never), 400, 'InvalidRequest')
    expect(await prefsOf(alice.agent)).toEqual([{ $type: ADULT, enabled: false }])
  })

  it('the birth date is private to full access; the age derived from it is read-only', async () => {
    const birthDate = '1990-05-01T00:00:00.000Z'
    // A client-sent declaredAgePref is not stored: it is computed on read.
    await put(alice.agent, [{ $type: ADULT, enabled: true }, { $type: DETAILS, birthDate }, { $type: AGE, isOverAge18: false }])
    expect(await prefsOf(alice.agent)).toEqual([
      { $type: ADULT, enabled: true },
      { $type: DETAILS, birthDate },
      { $type: AGE, isOverAge13: true, isOverAge16: true, isOverAge18: true },
    ])

    for (const privileged of [false, true]) {
      const app = await appPasswordAgent(alice, privileged)
      // Sees the derived age, never the date.
      expect(await prefsOf(app)).toEqual([
        { $type: ADULT, enabled: true },
        { $type: AGE, isOverAge13: true, isOverAge16: true, isOverAge18: true },
      ])
      await expectXrpcError(put(app, [{ $type: DETAILS, birthDate: '2015-01-01T00:00:00.000Z' }]), 400, 'InvalidRequest')
      // Its put replaces what it can see, and leaves the birth date as it was.
      await put(app, [{ $type: ADULT, enabled: false }])
      expect(await prefsOf(alice.agent)).toEqual([
        { $type: DETAILS, birthDate },
        { $type: ADULT, enabled: false },
        { $type: AGE, isOverAge13: true, isOverAge16: true, isOverAge18: true },
      ])
      await put(alice.agent, [{ $type: ADULT, enabled: true }, { $type: DETAILS, birthDate }])
    }
  })

  it('need a session', async () => {
    await expectXrpcError(server.agent().app.bsky.actor.getPreferences(), 401, 'AuthenticationRequired')
    await expectXrpcError(put(server.agent(), []), 401, 'AuthenticationRequired')
  })
})

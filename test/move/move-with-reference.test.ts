/**
 * Moving an account between the reference PDS and Hearth with the standard
 * calls, both ways, on one PLC directory: the DID document follows, every
 * record and blob keeps its CID, @atproto/sync's verifying Firehose accepts
 * what Hearth announces, and the server left behind reports the account
 * deactivated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AtpAgent } from '@atproto/api'
import { IdResolver } from '@atproto/identity'
import { Firehose, type Event as SyncEvent } from '@atproto/sync'
import type { TestPds } from '@atproto/dev-env'
import { startTestPlc, startTestServer, type TestServer } from '../helpers/test-server.js'
import type { EmbeddedPlc } from '../../src/identity/embedded-plc.js'
import { eventually } from '../firehose/stream-reader.js'
import { launchChromium, screenshot } from '../web/chromium.js'
import type { Browser } from 'playwright-core'
import { fillAccount, recordCids, referencePlcToken, startReferencePds, PNG, type FilledAccount } from './reference-pds.js'
import { migrate } from './migrate-flow.js'

describe('moving between the reference PDS and Hearth', () => {
  let plc: EmbeddedPlc
  let hearth: TestServer
  let reference: TestPds
  /** A second reference server to move back to (the first still holds the deactivated copy under the same DID). */
  let reference2: TestPds
  let browser: Browser
  let firehose: Firehose
  const received: SyncEvent[] = []
  const errors: Error[] = []
  let person: FilledAccount
  let before: Record<string, string>
  let importedRev: string
  let onHearth: AtpAgent
  const idResolver = () => new IdResolver({ plcUrl: plc.url })

  beforeAll(async () => {
    plc = await startTestPlc()
    hearth = await startTestServer({ plc })
    reference = await startReferencePds(plc.url)
    const resolver = idResolver()
    const hearthAgent = hearth.agent()
    resolver.handle.resolve = async (handle: string) => {
      try {
        return (await hearthAgent.com.atproto.identity.resolveHandle({ handle })).data.did
      } catch {
        return undefined
      }
    }
    firehose = new Firehose({
      service: hearth.url.replace(/^http/, 'ws'),
      idResolver: resolver,
      handleEvent: async (evt) => {
        received.push(evt)
      },
      onError: (err) => errors.push(err),
    })
    void firehose.start()
    await eventually(() => hearth.pds.ctx.firehose.stats().live === 1, 'the Firehose to be live')
    person = await fillAccount(reference.url, 'mover.test')
    before = await recordCids(person.agent, person.did)
    importedRev = (await person.agent.com.atproto.sync.getLatestCommit({ did: person.did })).data.rev
  }, 120_000)

  afterAll(async () => {
    await firehose?.destroy()
    await browser?.close()
    await reference2?.close()
    await reference?.close()
    await hearth?.close({ removeData: true })
    await plc?.close()
  })

  it('moves in from the reference PDS with the standard calls', async () => {
    onHearth = await migrate({
      from: person.agent,
      toUrl: hearth.url,
      handle: 'mover-here.test',
      password: person.password,
      plcToken: () => referencePlcToken(reference, person.did),
    })

    const doc = await idResolver().did.resolveAtprotoData(person.did, true)
    expect(doc.pds).toBe(hearth.url)
    expect(doc.handle).toBe('mover-here.test')

    // Every record, same CIDs; the avatar blob, same bytes under the same CID.
    expect(await recordCids(onHearth, person.did)).toEqual(before)
    expect(Object.keys(before).length).toBe(5)
    const blobs = (await onHearth.com.atproto.sync.listBlobs({ did: person.did })).data.cids
    expect(blobs).toEqual([person.avatarCid])
    const avatar = await onHearth.com.atproto.sync.getBlob({ did: person.did, cid: person.avatarCid })
    expect(Buffer.from(avatar.data).equals(PNG)).toBe(true)
    const prefs = (await onHearth.app.bsky.actor.getPreferences()).data.preferences
    expect(prefs.map((p) => p.$type)).toEqual(['app.bsky.actor.defs#adultContentPref', 'app.bsky.actor.defs#savedFeedsPrefV2'])

    // The rev goes on past the imported one; the next write continues the chain.
    const head = (await onHearth.com.atproto.sync.getLatestCommit({ did: person.did })).data
    expect(head.rev > importedRev).toBe(true)
    const status = (await onHearth.com.atproto.server.checkAccountStatus()).data
    expect(status).toMatchObject({ activated: true, validDid: true, indexedRecords: 5, expectedBlobs: 1, importedBlobs: 1, repoRev: head.rev })
    const written = await onHearth.com.atproto.repo.createRecord({
      repo: person.did,
      collection: 'app.bsky.feed.post',
      record: { $type: 'app.bsky.feed.post', text: 'hello from Hearth', createdAt: new Date().toISOString() },
    })
    expect(written.data.commit!.rev > head.rev).toBe(true)

    // The reference says the account is deactivated there.
    const there = (await reference.getClient().com.atproto.sync.getRepoStatus({ did: person.did })).data
    expect(there).toMatchObject({ active: false, status: 'deactivated' })

    // Relays see the history as one #sync after #identity and #account, then the new commit, all verified.
    await eventually(() => received.some((e) => e.event === 'create' && e.did === person.did), 'the new post on the Firehose')
    expect(errors).toEqual([])
    const mine = received.filter((e) => e.did === person.did).map((e) => e.event)
    expect(mine).toEqual(['identity', 'account', 'sync', 'create'])
    const sync = received.find((e) => e.event === 'sync')!
    expect(sync).toMatchObject({ rev: head.rev, cid: expect.anything() })
  }, 120_000)

  it('moves back out to the reference PDS, with the code read off Hearth\'s "Move your account" page', async () => {
    reference2 = await startReferencePds(plc.url)
    browser = await launchChromium()
    const before = await recordCids(onHearth, person.did)
    const plcToken = async () => {
      const page = await (await browser.newContext()).newPage()
      await page.goto(`${hearth.url}/sign-in`)
      await page.fill('input[name=identifier]', person.did)
      await page.fill('input[name=password]', person.password)
      await page.click('form[action="/sign-in/password"] button[type=submit]')
      await page.waitForURL((u) => u.pathname === '/account')
      await page.click('a[href="/account/move"]')
      await page.click('form[action="/account/move/code"] button[type=submit]')
      const token = (await page.textContent('[data-field=plc-token]'))!.trim()
      await screenshot(page, 'move-your-account-code')
      // Shown once: the page does not show it again.
      await page.goto(`${hearth.url}/account/move`)
      expect(await page.locator('[data-field=plc-token]').count()).toBe(0)
      return token
    }
    const onReference = await migrate({ from: onHearth, toUrl: reference2.url, handle: 'mover-back.test', password: person.password, email: 'mover@example.com', plcToken })

    const doc = await idResolver().did.resolveAtprotoData(person.did, true)
    expect(doc.pds).toBe(reference2.url)
    expect(await recordCids(onReference, person.did)).toEqual(before)
    expect(Object.keys(before).length).toBe(6)
    const blobs = (await onReference.com.atproto.sync.listBlobs({ did: person.did })).data.cids
    expect(blobs).toEqual([person.avatarCid])

    // Hearth: served as deactivated, refuses writes, told relays.
    const status = (await hearth.agent().com.atproto.sync.getRepoStatus({ did: person.did })).data
    expect(status).toMatchObject({ active: false, status: 'deactivated' })
    await expect(
      onHearth.com.atproto.repo.createRecord({ repo: person.did, collection: 'app.bsky.feed.post', record: { $type: 'app.bsky.feed.post', text: 'x', createdAt: new Date().toISOString() } }),
    ).rejects.toMatchObject({ status: 400, error: 'AccountDeactivated' })
    await expect(hearth.agent().com.atproto.sync.getRepo({ did: person.did })).rejects.toMatchObject({ error: 'RepoDeactivated' })
    // The old copy stays readable to its owner until deleted.
    const kept = await onHearth.com.atproto.sync.getRepo({ did: person.did })
    expect(kept.data.length).toBeGreaterThan(0)
    expect((await onHearth.com.atproto.sync.getBlob({ did: person.did, cid: person.avatarCid })).data.length).toBe(PNG.length)
    await eventually(() => received.some((e) => e.event === 'account' && e.did === person.did && !e.active), 'the #account deactivated event')
    expect(errors).toEqual([])
  }, 180_000)
})

/**
 * seq never goes back: not across a restart, and not when pruning has
 * emptied the log before it.
 */
import fs from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { startTestPlc, startTestServer } from '../helpers/test-server.js'
import type { EmbeddedPlc } from '../../src/identity/embedded-plc.js'
import { EventPruner } from '../../src/sequencer/event-pruner.js'
import { StreamReader } from './stream-reader.js'

const post = (text: string) => ({ $type: 'app.bsky.feed.post', text, createdAt: new Date().toISOString() })

describe('the event log across restarts', () => {
  let plc: EmbeddedPlc
  let dataDir: string
  afterAll(async () => {
    await plc?.close()
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
  })

  it('continues seq above the last value, even after every row was pruned', async () => {
    plc = await startTestPlc()
    const first = await startTestServer({ plc })
    dataDir = first.dataDir
    const alice = await first.createAccount('alice')
    for (let i = 0; i < 5; i++) {
      await alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: 'app.bsky.feed.post', record: post(`before ${i}`) })
    }
    const before = first.pds.ctx.eventLog.lastSeq()
    // Same port: the DID documents name this URL as the accounts' PDS.
    const config = { port: Number(new URL(first.url).port) }
    expect(before).toBeGreaterThan(5)
    await first.close()

    // Second life: seq goes on; then prune everything and restart again.
    const second = await startTestServer({ plc, dataDir, config })
    expect(second.pds.ctx.eventLog.lastSeq()).toBe(before)
    const live = await StreamReader.open(second.url)
    const agent = second.agent()
    await agent.login({ identifier: alice.handle, password: alice.password })
    await agent.com.atproto.repo.createRecord({ repo: alice.did, collection: 'app.bsky.feed.post', record: post('after restart') })
    await live.untilSeq(before + 1)
    expect(live.seqs()).toEqual([before + 1])
    live.close()
    const pruned = await new EventPruner(second.pds.ctx.eventLog, { retentionHours: 1 }).pruneNow(new Date(Date.now() + 2 * 3600_000))
    expect(pruned).toBe(before + 1)
    expect(second.pds.ctx.eventLog.oldestSeq()).toBeNull()
    await second.close()

    const third = await startTestServer({ plc, dataDir, config })
    expect(third.pds.ctx.eventLog.lastSeq()).toBe(before + 1)
    const agent3 = third.agent()
    await agent3.login({ identifier: alice.handle, password: alice.password })
    const replay = await StreamReader.open(third.url, { cursor: before + 1 })
    await agent3.com.atproto.repo.createRecord({ repo: alice.did, collection: 'app.bsky.feed.post', record: post('after pruning') })
    await replay.untilSeq(before + 2)
    expect(replay.seqs()).toEqual([before + 2])
    // The commit chain still links: since is the rev of the commit written before the restarts.
    const commit = replay.frames[0].body
    expect(commit.since).not.toBeNull()
    expect(commit.prevData).toBeDefined()
    replay.close()
    await third.close()
  })
})

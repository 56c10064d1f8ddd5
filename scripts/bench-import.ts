/**
 * Benchmark: an account moving in with a 10,000-record repository and 200
 * blobs, end to end through the standard calls: createAccount with the DID
 * (service auth), importRepo, listMissingBlobs + uploadBlob, the PLC
 * operation (submitPlcOperation), activateAccount. Hearth runs as `npm
 * start` runs it; the old server is played by this script (it holds the
 * DID's keys and the repository, built with @atproto/repo).
 *
 *   npx tsx scripts/bench-import.ts [--records 10000] [--blobs 200] [--blob-kib 64]
 *
 * Prints JSON: seconds per phase and end to end, and Hearth's peak RSS
 * (overall, and as it stood before and after importRepo).
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import { parseArgs } from 'node:util'
import { AtpAgent } from '@atproto/api'
import { Secp256k1Keypair } from '@atproto/crypto'
import { MemoryBlockstore, Repo, WriteOpAction, blocksToCarFile, type RecordCreateOp } from '@atproto/repo'
import { TID } from '@atproto/common'
import * as plc from '@did-plc/lib'
import { createCid } from '@atproto/lex-data'
import { startEmbeddedPlc } from '../src/identity/embedded-plc.js'
import { peakRssMiB, spawnHearth } from './bench-server.js'

const { values } = parseArgs({ options: { records: { type: 'string' }, blobs: { type: 'string' }, 'blob-kib': { type: 'string' } } })
const RECORDS = Number(values.records ?? 10_000)
const BLOBS = Number(values.blobs ?? 200)
const BLOB_BYTES = Number(values['blob-kib'] ?? 64) * 1024

const round = (n: number) => Math.round(n * 100) / 100
const seconds = (from: number) => round((performance.now() - from) / 1000)

/** An inter-service JWT, as the old server would mint it (ES256K, compact low-S signature). */
async function serviceJwt(key: Secp256k1Keypair, iss: string, aud: string, lxm: string): Promise<string> {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const body = `${part({ typ: 'JWT', alg: 'ES256K' })}.${part({ iss, aud, lxm, exp: Math.floor(Date.now() / 1000) + 120, jti: crypto.randomUUID() })}`
  return `${body}.${Buffer.from(await key.sign(Buffer.from(body))).toString('base64url')}`
}

async function main() {
  const directory = await startEmbeddedPlc()
  let hearth: Awaited<ReturnType<typeof spawnHearth>> | undefined
  try {
    // The account as it lives on its old server: a DID, its keys, its repository and blobs.
    const signingKey = await Secp256k1Keypair.create({ exportable: true })
    const rotationKey = await Secp256k1Keypair.create({ exportable: true })
    const handle = 'bulky.test'
    const { op, did } = await plc.createOp({ signingKey: signingKey.did(), handle, pds: 'https://old.example', rotationKeys: [rotationKey.did()], signer: rotationKey as never })
    await new plc.Client(directory.url).sendOperation(did, op)

    const built = performance.now()
    const blobs = Array.from({ length: BLOBS }, () => crypto.randomBytes(BLOB_BYTES))
    // Raw-codec SHA-256 CIDs, as uploadBlob makes them.
    const blobRefs = blobs.map((bytes) => createCid(0x55, 0x12, crypto.createHash('sha256').update(bytes).digest()))
    const storage = new MemoryBlockstore()
    let repo = await Repo.create(storage, did, signingKey)
    const batch = 1000
    for (let i = 0; i < RECORDS; i += batch) {
      const writes: RecordCreateOp[] = []
      for (let j = i; j < Math.min(RECORDS, i + batch); j++) {
        const blob = j < BLOBS ? { $type: 'blob', ref: blobRefs[j], mimeType: 'application/octet-stream', size: BLOB_BYTES } : undefined
        writes.push({
          action: WriteOpAction.Create,
          collection: j < BLOBS ? 'com.example.file' : 'app.bsky.feed.post',
          rkey: TID.nextStr(),
          record: j < BLOBS ? { $type: 'com.example.file', file: blob } : { $type: 'app.bsky.feed.post', text: `post ${j}`, createdAt: new Date().toISOString() },
        } as RecordCreateOp)
      }
      repo = await repo.applyWrites(writes, signingKey)
    }
    const car = await blocksToCarFile(repo.cid, (await storage.getBlocks((await repo.data.allCids()).toList().concat([repo.cid]))).blocks)
    const buildSec = seconds(built)
    // Started after the build: a long synchronous build would leave the client a stale keep-alive socket to it.
    hearth = await spawnHearth(directory.url)

    const start = performance.now()
    const agent = new AtpAgent({ service: hearth.url })
    const server = (await agent.com.atproto.server.describeServer()).data
    const password = 'bench-import-password'
    await agent.com.atproto.server.createAccount(
      { did, handle: `bulky${server.availableUserDomains[0]}`, password },
      { headers: { authorization: `Bearer ${await serviceJwt(signingKey, did, server.did, 'com.atproto.server.createAccount')}` }, encoding: 'application/json' },
    )
    await agent.login({ identifier: did, password })
    const rssBeforeImport = peakRssMiB(hearth.child.pid!)
    const importStart = performance.now()
    await agent.com.atproto.repo.importRepo(car, { encoding: 'application/vnd.ipld.car' })
    const importSec = seconds(importStart)
    const rssAfterImport = peakRssMiB(hearth.child.pid!)

    const blobStart = performance.now()
    const byCid = new Map(blobRefs.map((cid, i) => [cid.toString(), blobs[i]]))
    let cursor: string | undefined
    let uploaded = 0
    do {
      const page = (await agent.com.atproto.repo.listMissingBlobs({ limit: 100, cursor })).data
      for (const { cid } of page.blobs) {
        await agent.com.atproto.repo.uploadBlob(byCid.get(cid)!, { encoding: 'application/octet-stream' })
        uploaded++
      }
      cursor = page.cursor
    } while (cursor)
    const blobSec = seconds(blobStart)

    const plcStart = performance.now()
    const credentials = (await agent.com.atproto.identity.getRecommendedDidCredentials()).data
    const last = await new plc.Client(directory.url).getLastOp(did)
    const update = await plc.createUpdateOp(last as plc.CompatibleOp, rotationKey as never, (current) => ({ ...current, ...(credentials as object) }) as never)
    await agent.com.atproto.identity.submitPlcOperation({ operation: update })
    await agent.com.atproto.server.activateAccount()
    const plcSec = seconds(plcStart)
    const totalSec = seconds(start)

    const status = (await agent.com.atproto.server.checkAccountStatus()).data
    if (status.indexedRecords !== RECORDS || status.importedBlobs !== BLOBS || !status.activated) {
      throw new Error(`the import is incomplete: ${JSON.stringify(status)}`)
    }
    process.stdout.write(
      JSON.stringify(
        {
          records: RECORDS,
          blobs: BLOBS,
          blobBytes: BLOB_BYTES,
          carBytes: car.length,
          seconds: { buildOnOldServer: buildSec, importRepo: importSec, uploadBlobs: blobSec, plcAndActivate: plcSec, endToEnd: totalSec },
          uploaded,
          hearthPeakRssMiB: peakRssMiB(hearth.child.pid!),
          // The peak so far at each point: what the import itself added is the step between the first two.
          hearthPeakRssMiBBeforeImport: rssBeforeImport,
          hearthPeakRssMiBAfterImport: rssAfterImport,
        },
        null,
        2,
      ) + '\n',
    )
  } finally {
    if (hearth) {
      hearth.child.kill('SIGTERM')
      await new Promise((r) => hearth!.child.once('exit', r))
      fs.rmSync(hearth.dataDir, { recursive: true, force: true })
    }
    await directory.close()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})

/**
 * Every bad input of a move gets a clear 4xx and changes nothing: import
 * CARs that are signed by another key, truncated, hold blocks that do not
 * match their CIDs, lack a record, are over the limit, or belong to another
 * account; importRepo for an active account; PLC operations that do not
 * name this server or its key for the account; activation before the DID
 * document points here; confirmation codes that are wrong, used or expired.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AtpAgent } from '@atproto/api'
import { IdResolver } from '@atproto/identity'
import { Secp256k1Keypair } from '@atproto/crypto'
import { BlockMap, blocksToCarFile, readCarWithRoot, signCommit, mstUtil, type UnsignedCommit } from '@atproto/repo'
import { encode as cborEncode, decode as cborDecode } from '@atproto/lex-cbor'
import type { TestPds } from '@atproto/dev-env'
import { startTestPlc, startTestServer, type TestServer } from '../helpers/test-server.js'
import type { EmbeddedPlc } from '../../src/identity/embedded-plc.js'
import { cidForBytes } from '../../src/repo/prepare-writes.js'
import * as plcLib from '@did-plc/lib'
import { TID } from '@atproto/common'
import { fillAccount, referencePlcToken, startReferencePds, type FilledAccount } from './reference-pds.js'

const IMPORT_LIMIT = 64 * 1024

describe('bad input while moving', () => {
  let plc: EmbeddedPlc
  let hearth: TestServer
  let reference: TestPds
  let person: FilledAccount
  let other: FilledAccount
  let car: Uint8Array
  let moving: AtpAgent
  /** The empty repository a moving-in account starts with. */
  let emptyCommit: string
  const idResolver = () => new IdResolver({ plcUrl: plc.url })

  /** The status that must not change after a refused import. */
  const untouched = async () => {
    const s = (await moving.com.atproto.server.checkAccountStatus()).data
    expect(s).toMatchObject({ activated: false, validDid: false, indexedRecords: 0, expectedBlobs: 0, repoCommit: emptyCommit })
  }
  const importCar = (bytes: Uint8Array, agent = moving) => agent.com.atproto.repo.importRepo(bytes, { encoding: 'application/vnd.ipld.car' })

  beforeAll(async () => {
    plc = await startTestPlc()
    hearth = await startTestServer({ plc, env: { HEARTH_MAX_IMPORT_BYTES: String(IMPORT_LIMIT) } })
    reference = await startReferencePds(plc.url)
    person = await fillAccount(reference.url, 'stayer.test')
    other = await fillAccount(reference.url, 'someone.test')
    car = (await person.agent.com.atproto.sync.getRepo({ did: person.did })).data
    const hearthDid = (await hearth.agent().com.atproto.server.describeServer()).data.did
    const auth = await person.agent.com.atproto.server.getServiceAuth({ aud: hearthDid, lxm: 'com.atproto.server.createAccount' })
    moving = hearth.agent()
    await moving.com.atproto.server.createAccount(
      { did: person.did, handle: 'stayer-here.test', password: person.password },
      { headers: { authorization: `Bearer ${auth.data.token}` }, encoding: 'application/json' },
    )
    await moving.login({ identifier: person.did, password: person.password })
    emptyCommit = (await moving.com.atproto.server.checkAccountStatus()).data.repoCommit
  }, 120_000)

  afterAll(async () => {
    await reference?.close()
    await hearth?.close({ removeData: true })
    await plc?.close()
  })

  it('createAccount with a DID needs a service-auth token from that DID', async () => {
    const agent = hearth.agent()
    await expect(agent.com.atproto.server.createAccount({ did: other.did, handle: 'nope1.test', password: other.password })).rejects.toMatchObject({ status: 401 })
    const hearthDid = (await agent.com.atproto.server.describeServer()).data.did
    const wrongIss = await person.agent.com.atproto.server.getServiceAuth({ aud: hearthDid, lxm: 'com.atproto.server.createAccount' })
    await expect(
      agent.com.atproto.server.createAccount({ did: other.did, handle: 'nope2.test', password: other.password }, { headers: { authorization: `Bearer ${wrongIss.data.token}` }, encoding: 'application/json' }),
    ).rejects.toMatchObject({ status: 401, error: 'BadJwtIss' })
    const wrongLxm = await other.agent.com.atproto.server.getServiceAuth({ aud: hearthDid, lxm: 'com.atproto.repo.importRepo' })
    await expect(
      agent.com.atproto.server.createAccount({ did: other.did, handle: 'nope3.test', password: other.password }, { headers: { authorization: `Bearer ${wrongLxm.data.token}` }, encoding: 'application/json' }),
    ).rejects.toMatchObject({ status: 401, error: 'BadJwtLexiconMethod' })
    await expect(agent.com.atproto.sync.getRepoStatus({ did: other.did })).rejects.toMatchObject({ error: 'RepoNotFound' })
  })

  it('the moved-in account starts deactivated and refuses writes', async () => {
    const status = (await hearth.agent().com.atproto.sync.getRepoStatus({ did: person.did })).data
    expect(status).toMatchObject({ active: false, status: 'deactivated' })
    await expect(
      moving.com.atproto.repo.createRecord({ repo: person.did, collection: 'app.bsky.feed.post', record: { $type: 'app.bsky.feed.post', text: 'x', createdAt: new Date().toISOString() } }),
    ).rejects.toMatchObject({ status: 400, error: 'AccountDeactivated' })
  })

  it('refuses a CAR whose commit another key signed', async () => {
    const { root, blocks } = await readCarWithRoot(car)
    const { sig: _sig, ...unsigned } = cborDecode(blocks.get(root)!) as unknown as Record<string, unknown>
    const forged = await signCommit(unsigned as unknown as UnsignedCommit, await Secp256k1Keypair.create())
    const forgedBytes = cborEncode(forged as never)
    const forgedCid = cidForBytes(forgedBytes)
    blocks.set(forgedCid, forgedBytes)
    await expect(importCar(await blocksToCarFile(forgedCid, blocks))).rejects.toMatchObject({ status: 400, error: 'InvalidCommitSignature' })
    await untouched()
  })

  it('refuses a truncated CAR', async () => {
    await expect(importCar(car.slice(0, Math.floor(car.length * 0.6)))).rejects.toMatchObject({ status: 400 })
    await expect(importCar(car.slice(0, 20))).rejects.toMatchObject({ status: 400 })
    await untouched()
  })

  it('refuses blocks that do not hash to their CIDs', async () => {
    const { root, blocks } = await readCarWithRoot(car)
    const tampered = new BlockMap()
    let changed = false
    for (const { cid, bytes } of blocks.entries()) {
      if (!changed && !cid.equals(root) && cid.code === 0x71) {
        const copy = Uint8Array.from(bytes)
        copy[copy.length - 1] ^= 1
        tampered.set(cid, copy)
        changed = true
      } else tampered.set(cid, bytes)
    }
    await expect(importCar(await blocksToCarFile(root, tampered))).rejects.toMatchObject({ status: 400, error: 'InvalidBlock' })
    await untouched()
  })

  it('refuses a tree that lacks a record', async () => {
    const { root, blocks } = await readCarWithRoot(car)
    const commit = cborDecode(blocks.get(root)!) as unknown as { data: unknown }
    // Drop one record block: the first block that is neither the commit nor an MST node.
    for (const { cid, bytes } of blocks.entries()) {
      if (cid.equals(root)) continue
      const value = cborDecode(bytes) as unknown as Record<string, unknown>
      if (Array.isArray(value.e)) continue // an MST node
      blocks.delete(cid)
      break
    }
    expect(commit.data).toBeDefined()
    await expect(importCar(await blocksToCarFile(root, blocks))).rejects.toMatchObject({ status: 400, error: 'InvalidRepo' })
    await untouched()
  })

  it('refuses a CAR over the limit with 413', async () => {
    const { root, blocks } = await readCarWithRoot(car)
    const junk = cborEncode({ junk: new Uint8Array(IMPORT_LIMIT) } as never)
    blocks.set(cidForBytes(junk), junk)
    const tooBig = await blocksToCarFile(root, blocks)
    await expect(importCar(tooBig)).rejects.toMatchObject({ status: 413, error: 'PayloadTooLarge' })
    await untouched()
    // Streamed without a Content-Length: cut off as the bytes pass the limit.
    const chunks = Array.from({ length: Math.ceil(tooBig.length / 4096) }, (_, i) => tooBig.subarray(i * 4096, (i + 1) * 4096))
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift()
        if (next) controller.enqueue(next)
        else controller.close()
      },
    })
    const res = await fetch(`${hearth.url}/xrpc/com.atproto.repo.importRepo`, {
      method: 'POST',
      headers: { authorization: `Bearer ${moving.session!.accessJwt}`, 'content-type': 'application/vnd.ipld.car' },
      body,
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({ error: 'PayloadTooLarge', message: expect.stringContaining('HEARTH_MAX_IMPORT_BYTES') })
    await untouched()
  })

  it("refuses another account's repository, and any import into an active account", async () => {
    const othersCar = (await other.agent.com.atproto.sync.getRepo({ did: other.did })).data
    await expect(importCar(othersCar)).rejects.toMatchObject({ status: 403 })
    await untouched()
    const native = await hearth.createAccount('native')
    const before = (await native.agent.com.atproto.sync.getLatestCommit({ did: native.did })).data
    await expect(importCar(car, native.agent)).rejects.toMatchObject({ status: 400 })
    expect((await native.agent.com.atproto.sync.getLatestCommit({ did: native.did })).data).toEqual(before)
  })

  it('refuses activation before the DID document points here', async () => {
    await importCar(car)
    await expect(moving.com.atproto.server.activateAccount()).rejects.toMatchObject({ status: 400, message: expect.stringContaining('submit the PLC operation first') })
    const status = (await moving.com.atproto.server.checkAccountStatus()).data
    expect(status).toMatchObject({ activated: false, validDid: false, indexedRecords: 5 })
  })

  it('refuses PLC operations that do not name this server or its key for the account', async () => {
    const credentials = (await moving.com.atproto.identity.getRecommendedDidCredentials()).data
    const docBefore = await idResolver().did.resolveAtprotoData(person.did, true)
    const signWith = async (change: Record<string, unknown>) => {
      await person.agent.com.atproto.identity.requestPlcOperationSignature()
      const token = await referencePlcToken(reference, person.did)
      return (await person.agent.com.atproto.identity.signPlcOperation({ token, ...credentials, ...change })).data.operation
    }
    const elsewhere = await signWith({ services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: 'https://elsewhere.example' } } })
    await expect(moving.com.atproto.identity.submitPlcOperation({ operation: elsewhere })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('atproto_pds') })
    const otherKey = await signWith({ verificationMethods: { atproto: (await Secp256k1Keypair.create()).did() } })
    await expect(moving.com.atproto.identity.submitPlcOperation({ operation: otherKey })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('verification method') })
    const noRotation = await signWith({ rotationKeys: [(await Secp256k1Keypair.create()).did()] })
    await expect(moving.com.atproto.identity.submitPlcOperation({ operation: noRotation })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('rotation key') })
    // A right operation whose signature was tampered with: the directory refuses it, and so do we (400, not 502).
    const good = (await signWith({})) as Record<string, unknown>
    const sig = String(good.sig)
    const badSig = { ...good, sig: (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1) }
    await expect(moving.com.atproto.identity.submitPlcOperation({ operation: badSig })).rejects.toMatchObject({ status: 400 })
    expect(await idResolver().did.resolveAtprotoData(person.did, true)).toEqual(docBefore)
  })

  it('refuses wrong, reused and expired confirmation codes for signPlcOperation', async () => {
    const native = await hearth.createAccount('leaver')
    const plcLog = async () => (await fetch(`${plc.url}/${native.did}/log`)).json()
    const logBefore = await plcLog()
    const sign = (token: string) => native.agent.com.atproto.identity.signPlcOperation({ token, services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: 'https://new.example' } } })
    const codes = hearth.pds.ctx.moves.plcTokens
    await expect(sign('AAAAA-BBBBB')).rejects.toMatchObject({ status: 400, error: 'InvalidToken' })
    const { token } = codes.create(native.did)
    const signed = (await sign(token)).data.operation as { services: Record<string, { endpoint: string }> }
    expect(signed.services.atproto_pds.endpoint).toBe('https://new.example')
    await expect(sign(token)).rejects.toMatchObject({ status: 400, error: 'InvalidToken' })
    const second = codes.create(native.did)
    hearth.pds.ctx.db.prepare('UPDATE plc_operation_token SET expires_at = ? WHERE did = ?').run(Date.now() - 1, native.did)
    await expect(sign(second.token)).rejects.toMatchObject({ status: 400, error: 'ExpiredToken' })
    // Signing never sends: the directory's log is as it was, and the account is still here and active.
    expect(await plcLog()).toEqual(logBefore)
    expect((await hearth.agent().com.atproto.sync.getRepoStatus({ did: native.did })).data.active).toBe(true)
  })

  it('refuses a tree that is not well formed (keys out of order, a node not encoded as the tree encodes it, a key on the wrong layer), and takes the same tree built right', async () => {
    // The old server played here, with keys of our own: a DID on the shared directory, its repo built by hand.
    const signingKey = await Secp256k1Keypair.create()
    const rotationKey = await Secp256k1Keypair.create()
    const { op, did } = await plcLib.createOp({ signingKey: signingKey.did(), handle: 'handmade.test', pds: 'https://old.example', rotationKeys: [rotationKey.did()], signer: rotationKey as never })
    await new plcLib.Client(plc.url).sendOperation(did, op)
    const hearthDid = (await hearth.agent().com.atproto.server.describeServer()).data.did
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
    const body = `${part({ typ: 'JWT', alg: 'ES256K' })}.${part({ iss: did, aud: hearthDid, lxm: 'com.atproto.server.createAccount', exp: Math.floor(Date.now() / 1000) + 60, jti: TID.nextStr() })}`
    const jwt = `${body}.${Buffer.from(await signingKey.sign(Buffer.from(body))).toString('base64url')}`
    const agent = hearth.agent()
    await agent.com.atproto.server.createAccount({ did, handle: 'handmade-here.test', password: 'handmade-password' }, { headers: { authorization: `Bearer ${jwt}` }, encoding: 'application/json' })
    await agent.login({ identifier: did, password: 'handmade-password' })

    const blocks = new BlockMap()
    const entries: { key: string; cid: ReturnType<typeof cidForBytes> }[] = []
    for (const text of ['a', 'b', 'c']) {
      const bytes = cborEncode({ $type: 'app.bsky.feed.post', text, createdAt: new Date().toISOString() } as never)
      const cid = cidForBytes(bytes)
      blocks.set(cid, bytes)
      // Keys on layer 0 only, so that the right tree is one node.
      let key: string
      do key = `app.bsky.feed.post/${TID.nextStr()}`
      while ((await mstUtil.leadingZerosOnHash(key)) !== 0)
      entries.push({ key, cid })
    }
    const repoCar = async (order: typeof entries, opts: { noPrefixes?: boolean } = {}) => {
      const car = new BlockMap()
      for (const { cid, bytes } of blocks.entries()) car.set(cid, bytes)
      // One node, keys in the order given, each stored as the suffix after what it shares with the one before.
      let prev = ''
      const e = order.map(({ key, cid }) => {
        let p = 0
        while (!opts.noPrefixes && p < key.length && key[p] === prev[p]) p++
        prev = key
        return { p, k: new TextEncoder().encode(key.slice(p)), v: cid, t: null }
      })
      const node = cborEncode({ l: null, e } as never)
      const nodeCid = cidForBytes(node)
      car.set(nodeCid, node)
      const commit = cborEncode((await signCommit({ did, version: 3, rev: TID.nextStr(), prev: null, data: nodeCid }, signingKey)) as never)
      const commitCid = cidForBytes(commit)
      car.set(commitCid, commit)
      return blocksToCarFile(commitCid, car)
    }
    const status = async () => (await agent.com.atproto.server.checkAccountStatus()).data
    const empty = await status()
    await expect(agent.com.atproto.repo.importRepo(await repoCar([...entries].reverse()), { encoding: 'application/vnd.ipld.car' })).rejects.toMatchObject({
      status: 400,
      error: 'InvalidRepo',
      message: expect.stringContaining('not well formed'),
    })
    expect(await status()).toEqual(empty)
    // The same node encoded without its keys' shared prefixes: the same entries, but not the tree's own encoding.
    await expect(agent.com.atproto.repo.importRepo(await repoCar(entries, { noPrefixes: true }), { encoding: 'application/vnd.ipld.car' })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('not the canonical encoding'),
    })
    // A key whose hash puts it on layer 1, in the layer-0 node.
    let high: string
    do high = `app.bsky.feed.post/${TID.nextStr()}`
    while ((await mstUtil.leadingZerosOnHash(high)) !== 1)
    const withHigh = [...entries, { key: high, cid: entries[0].cid }].sort((a, b) => (a.key < b.key ? -1 : 1))
    await expect(agent.com.atproto.repo.importRepo(await repoCar(withHigh), { encoding: 'application/vnd.ipld.car' })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('belongs on layer 1'),
    })
    expect(await status()).toEqual(empty)
    // In order, the same keys make the right tree, which imports.
    await agent.com.atproto.repo.importRepo(await repoCar(entries), { encoding: 'application/vnd.ipld.car' })
    expect((await status()).indexedRecords).toBe(3)
  })
})

/**
 * Bad input, end to end: malformed names, cursors and revs; missing,
 * expired and forged tokens; writes to someone else's repo; unknown methods,
 * wrong verbs, oversized, non-JSON and mistyped bodies. Each must get the
 * standard `{ error, message }` with its exact 4xx (never a 5xx) and, when it
 * was a write, leave the repo head and the event log exactly as they were.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SignJWT, UnsecuredJWT } from 'jose'
import { TID } from '@atproto/common'
import { startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'
import { expectErrorResponse, expectXrpcError } from './xrpc-expect.js'

const MAX_JSON = 64 * 1024
const MAX_BLOB = 4096
const POST = 'app.bsky.feed.post'

let server: TestServer
let alice: TestAccount
let bob: TestAccount
let aliceRkey: string

beforeAll(async () => {
  server = await startTestServer({ env: { HEARTH_MAX_JSON_BYTES: String(MAX_JSON), HEARTH_MAX_BLOB_BYTES: String(MAX_BLOB) } })
  alice = await server.createAccount('alice')
  bob = await server.createAccount('bob')
  const res = await alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: POST, record: post('mine') })
  aliceRkey = res.data.uri.split('/').pop()!
})
afterAll(() => server.close({ removeData: true }))

const post = (text: string) => ({ $type: POST, text, createdAt: new Date().toISOString() })

/** Runs `fn` (bad writes) and checks that no repo moved and no event was logged. */
async function unchanged(fn: () => Promise<void>) {
  const heads = async () =>
    Promise.all([alice, bob].map(async (a) => (await server.agent().com.atproto.sync.getLatestCommit({ did: a.did })).data))
  const before = await heads()
  const lastSeq = server.pds.ctx.eventLog.lastSeq()
  await fn()
  expect(await heads()).toEqual(before)
  expect(server.pds.ctx.eventLog.lastSeq()).toBe(lastSeq)
}

/** A raw XRPC request, for what AtpAgent will not send. */
function xrpc(method: string, nsid: string, opts: { query?: Record<string, string>; body?: BodyInit; headers?: Record<string, string> } = {}) {
  const url = new URL(`/xrpc/${nsid}`, server.url)
  for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v)
  return fetch(url, { method, body: opts.body, headers: opts.headers, ...(opts.body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit)
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` })
const jsonHeaders = () => ({ 'content-type': 'application/json', ...auth(alice.agent.session!.accessJwt) })

describe('malformed names', () => {
  it('a malformed NSID: as a collection, in a query and in a write', async () => {
    await unchanged(async () => {
      await expectXrpcError(alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: 'not an nsid', record: post('x') }), 400, 'InvalidRequest')
      await expectXrpcError(alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: 'com.example', record: { $type: 'com.example' } }), 400, 'InvalidRequest')
      await expectXrpcError(alice.agent.com.atproto.repo.putRecord({ repo: alice.did, collection: '.bad.nsid', rkey: 'x', record: {} }), 400, 'InvalidRequest')
      await expectXrpcError(
        alice.agent.com.atproto.repo.applyWrites({
          repo: alice.did,
          writes: [{ $type: 'com.atproto.repo.applyWrites#create', collection: 'bad..nsid', value: { $type: 'bad..nsid' } }],
        }),
        400,
        'InvalidRequest',
      )
    })
    await expectXrpcError(server.agent().com.atproto.repo.listRecords({ repo: alice.did, collection: 'no-dots' }), 400, 'InvalidRequest')
    await expectXrpcError(server.agent().com.atproto.repo.getRecord({ repo: alice.did, collection: 'a..b', rkey: aliceRkey }), 400, 'InvalidRequest')
    await expectXrpcError(server.agent().com.atproto.sync.getRecord({ did: alice.did, collection: '1bad.start', rkey: aliceRkey }), 400, 'InvalidRequest')
  })

  it('a malformed NSID as the method name', async () => {
    for (const name of ['not..an.nsid', 'nodots', '%20spaces%20here', 'com.atproto.repo.getRecord.']) {
      await expectErrorResponse(await xrpc('GET', name), 404, 'MethodNotImplemented')
    }
    await expectErrorResponse(await fetch(`${server.url}/xrpc/`), 404, 'NotFound')
  })

  it('a malformed record key', async () => {
    await unchanged(async () => {
      for (const rkey of ['.', '..', 'has space', 'a/b', 'x'.repeat(600), 'emoji🙂']) {
        await expectXrpcError(
          alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: 'com.example.thing', rkey, record: { $type: 'com.example.thing' } }),
          400,
          'InvalidRequest',
        )
      }
      await expectXrpcError(
        alice.agent.com.atproto.repo.putRecord({ repo: alice.did, collection: 'com.example.thing', rkey: '..', record: { $type: 'com.example.thing' } }),
        400,
        'InvalidRequest',
      )
      await expectXrpcError(alice.agent.com.atproto.repo.deleteRecord({ repo: alice.did, collection: POST, rkey: 'a/b' }), 400, 'InvalidRequest')
      await expectXrpcError(
        alice.agent.com.atproto.repo.applyWrites({
          repo: alice.did,
          writes: [{ $type: 'com.atproto.repo.applyWrites#delete', collection: POST, rkey: '.' }],
        }),
        400,
        'InvalidRequest',
      )
    })
    await expectXrpcError(server.agent().com.atproto.repo.getRecord({ repo: alice.did, collection: POST, rkey: '..' }), 400, 'InvalidRequest')
    await expectXrpcError(server.agent().com.atproto.sync.getRecord({ did: alice.did, collection: POST, rkey: 'a b' }), 400, 'InvalidRequest')
  })

  it('a malformed DID', async () => {
    for (const did of ['did:plc', 'not-a-did', 'did:PLC:abc', 'did:plc:has space']) {
      await expectXrpcError(server.agent().com.atproto.sync.getRepo({ did }), 400, 'InvalidRequest')
      await expectXrpcError(server.agent().com.atproto.sync.getLatestCommit({ did }), 400, 'InvalidRequest')
    }
    await expectXrpcError(server.agent().com.atproto.repo.getRecord({ repo: 'did:plc:', collection: POST, rkey: aliceRkey }), 400, 'InvalidRequest')
    await expectXrpcError(server.agent().com.atproto.sync.listBlobs({ did: 'did:' }), 400, 'InvalidRequest')
    await unchanged(async () => {
      await expectXrpcError(alice.agent.com.atproto.repo.createRecord({ repo: 'did:bogus', collection: POST, record: post('x') }), 400, 'InvalidRequest')
    })
  })

  it('a malformed handle', async () => {
    for (const handle of ['not a handle', '-bad-.test', 'double..dot.test', 'nodot', 'x'.repeat(300) + '.test']) {
      await expectXrpcError(server.agent().com.atproto.identity.resolveHandle({ handle }), 400, 'InvalidRequest')
    }
    await expectXrpcError(server.agent().com.atproto.repo.describeRepo({ repo: 'bad..handle' }), 400, 'InvalidRequest')
    await unchanged(async () => {
      await expectXrpcError(alice.agent.com.atproto.identity.updateHandle({ handle: 'bad handle.test' }), 400, 'InvalidRequest')
      await expectXrpcError(alice.agent.com.atproto.repo.createRecord({ repo: '-x-.test', collection: POST, record: post('x') }), 400, 'InvalidRequest')
    })
  })

  it('a malformed cursor, since, limit or flag', async () => {
    const list = (p: { repo: string; collection: string; cursor?: string }) => server.agent().com.atproto.repo.listRecords(p)
    for (const cursor of ['a b', '..', 'a/b']) {
      await expectXrpcError(list({ repo: alice.did, collection: POST, cursor }), 400, 'InvalidRequest')
    }
    for (const since of ['yesterday', '3k', '0000000000000']) {
      await expectXrpcError(server.agent().com.atproto.sync.getRepo({ did: alice.did, since }), 400, 'InvalidRequest')
      await expectXrpcError(server.agent().com.atproto.sync.listBlobs({ did: alice.did, since }), 400, 'InvalidRequest')
    }
    await expectErrorResponse(await xrpc('GET', 'com.atproto.repo.listRecords', { query: { repo: alice.did, collection: POST, limit: 'ten' } }), 400, 'InvalidRequest')
    await expectErrorResponse(await xrpc('GET', 'com.atproto.repo.listRecords', { query: { repo: alice.did, collection: POST, limit: '0' } }), 400, 'InvalidRequest')
    await expectErrorResponse(await xrpc('GET', 'com.atproto.repo.listRecords', { query: { repo: alice.did, collection: POST, limit: '101' } }), 400, 'InvalidRequest')
    await expectErrorResponse(await xrpc('GET', 'com.atproto.repo.listRecords', { query: { repo: alice.did, collection: POST, reverse: 'maybe' } }), 400, 'InvalidRequest')
    await expectErrorResponse(await xrpc('GET', 'com.atproto.repo.listRecords', { query: { collection: POST } }), 400, 'InvalidRequest')
    await expectErrorResponse(await xrpc('GET', 'com.atproto.sync.getBlob', { query: { did: alice.did, cid: 'bafy-not-a-cid' } }), 400, 'InvalidRequest')
  })
})

describe('account input', () => {
  it('a bad recovery key, email or missing handle makes no account and no DID', async () => {
    await unchanged(async () => {
      const create = (input: Record<string, string>) => server.agent().com.atproto.server.createAccount({ handle: 'zed.test', password: 'long-enough-pw', ...input } as never)
      await expectXrpcError(create({ recoveryKey: 'did:key:garbage' }), 400, 'InvalidRequest')
      await expectXrpcError(create({ recoveryKey: 'not even a did' }), 400, 'InvalidRequest')
      await expectXrpcError(create({ email: 'no-at-sign' }), 400, 'InvalidEmail')
      await expectErrorResponse(
        await xrpc('POST', 'com.atproto.server.createAccount', { body: JSON.stringify({ password: 'long-enough-pw' }), headers: { 'content-type': 'application/json' } }),
        400,
        'InvalidRequest',
      )
    })
    expect(server.pds.ctx.accounts.getByHandle('zed.test')).toBeNull()
  })
})

describe('tokens', () => {
  const serverSecret = () => new TextEncoder().encode(fs.readFileSync(path.join(server.dataDir, 'secrets', 'jwt-secret'), 'utf8').trim())
  const sign = (key: Uint8Array, claims: { sub?: string; aud?: string; exp?: number; typ?: string; scope?: string }) => {
    const now = Math.floor(Date.now() / 1000)
    return new SignJWT({ scope: claims.scope ?? 'com.atproto.access' })
      .setProtectedHeader({ alg: 'HS256', typ: claims.typ ?? 'at+jwt' })
      .setSubject(claims.sub ?? alice.did)
      .setAudience(claims.aud ?? server.pds.ctx.config.serviceDid)
      .setIssuedAt(now - 10)
      .setExpirationTime(claims.exp ?? now + 600)
      .sign(key)
  }
  const writeWith = (headers: Record<string, string>) =>
    server.agent().com.atproto.repo.createRecord({ repo: alice.did, collection: POST, record: post('with a bad token') }, { headers })

  it('a token signed with the server secret is accepted (the control case)', async () => {
    const token = await sign(serverSecret(), {})
    const res = await server.agent().com.atproto.server.getSession(undefined, { headers: auth(token) })
    expect(res.data.did).toBe(alice.did)
  })

  it('missing, malformed, forged, expired, mis-addressed or mistyped tokens write nothing', async () => {
    const now = Math.floor(Date.now() / 1000)
    await unchanged(async () => {
      await expectXrpcError(server.agent().com.atproto.repo.createRecord({ repo: alice.did, collection: POST, record: post('anon') }), 401, 'AuthenticationRequired')
      await expectXrpcError(writeWith({ authorization: 'Basic YWxpY2U6cHc=' }), 401, 'InvalidToken')
      await expectXrpcError(writeWith(auth('not.a.jwt')), 401, 'InvalidToken')
      await expectXrpcError(writeWith(auth(await sign(new TextEncoder().encode('another-secret-another-secret-xx'), {}))), 401, 'InvalidToken')
      await expectXrpcError(writeWith(auth(await sign(serverSecret(), { exp: now - 60 }))), 400, 'ExpiredToken')
      await expectXrpcError(writeWith(auth(await sign(serverSecret(), { aud: 'did:web:elsewhere.example' }))), 401, 'InvalidToken')
      await expectXrpcError(writeWith(auth(await sign(serverSecret(), { sub: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' }))), 401, 'InvalidToken')
      await expectXrpcError(writeWith(auth(await sign(serverSecret(), { typ: 'refresh+jwt', scope: 'com.atproto.refresh' }))), 401, 'InvalidToken')
      await expectXrpcError(writeWith(auth(await sign(serverSecret(), { scope: 'com.atproto.admin' }))), 401, 'InvalidToken')
      await expectXrpcError(writeWith(auth(alice.agent.session!.refreshJwt)), 401, 'InvalidToken')
      const unsigned = new UnsecuredJWT({ scope: 'com.atproto.access' }).setSubject(alice.did).setAudience(server.pds.ctx.config.serviceDid).setExpirationTime('10m').encode()
      await expectXrpcError(writeWith(auth(unsigned)), 401, 'InvalidToken')
      // A forged token whose payload was edited after signing (bob's token, alice's DID).
      const [h, , sig] = bob.agent.session!.accessJwt.split('.')
      const edited = Buffer.from(JSON.stringify({ scope: 'com.atproto.access', sub: alice.did, aud: server.pds.ctx.config.serviceDid, exp: now + 600 })).toString('base64url')
      await expectXrpcError(writeWith(auth(`${h}.${edited}.${sig}`)), 401, 'InvalidToken')
    })
  })

  it('a forged or expired refresh token refreshes nothing', async () => {
    const now = Math.floor(Date.now() / 1000)
    const refresh = (token: string) => server.agent().com.atproto.server.refreshSession(undefined, { headers: auth(token) })
    await expectXrpcError(refresh(await sign(new TextEncoder().encode('another-secret-another-secret-xx'), { typ: 'refresh+jwt', scope: 'com.atproto.refresh' })), 401, 'InvalidToken')
    await expectXrpcError(refresh(await sign(serverSecret(), { typ: 'refresh+jwt', scope: 'com.atproto.refresh', exp: now - 60 })), 400, 'ExpiredToken')
    // Well signed, but never issued (no jti on record).
    await expectXrpcError(refresh(await sign(serverSecret(), { typ: 'refresh+jwt', scope: 'com.atproto.refresh' })), 401, 'InvalidToken')
  })
})

describe("another account's repo", () => {
  it('bob cannot create, put, delete or batch-write in alice\'s repo', async () => {
    await unchanged(async () => {
      const as = bob.agent.com.atproto.repo
      await expectXrpcError(as.createRecord({ repo: alice.did, collection: POST, record: post('intruder') }), 403, 'Forbidden')
      await expectXrpcError(as.createRecord({ repo: alice.handle, collection: POST, record: post('intruder') }), 403, 'Forbidden')
      await expectXrpcError(as.putRecord({ repo: alice.did, collection: POST, rkey: aliceRkey, record: post('overwritten') }), 403, 'Forbidden')
      await expectXrpcError(as.deleteRecord({ repo: alice.did, collection: POST, rkey: aliceRkey }), 403, 'Forbidden')
      await expectXrpcError(
        as.applyWrites({ repo: alice.did, writes: [{ $type: 'com.atproto.repo.applyWrites#delete', collection: POST, rkey: aliceRkey }] }),
        403,
        'Forbidden',
      )
    })
    const still = await server.agent().com.atproto.repo.getRecord({ repo: alice.did, collection: POST, rkey: aliceRkey })
    expect(still.data.value).toMatchObject({ text: 'mine' })
    expect(bob.agent.session).toBeDefined() // a 403 does not cost bob his session
  })

  it('a repo that does not exist is RepoNotFound, not a write anywhere', async () => {
    await unchanged(async () => {
      await expectXrpcError(
        alice.agent.com.atproto.repo.createRecord({ repo: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', collection: POST, record: post('x') }),
        400,
        'RepoNotFound',
      )
    })
  })
})

describe('methods and verbs', () => {
  it('an unknown method is MethodNotImplemented, whatever the verb', async () => {
    await expectErrorResponse(await xrpc('GET', 'com.example.nothing'), 404, 'MethodNotImplemented')
    await expectErrorResponse(await xrpc('POST', 'com.example.nothing', { body: '{}', headers: { 'content-type': 'application/json' } }), 404, 'MethodNotImplemented')
    // Known to the lexicons, not served here, and never forwarded (app.bsky.* is: test/proxy/).
    await expectErrorResponse(await xrpc('POST', 'com.atproto.server.confirmEmail', { body: '{}', headers: { 'content-type': 'application/json' } }), 404, 'MethodNotImplemented')
  })

  it('the wrong HTTP verb is refused, and writes nothing', async () => {
    await unchanged(async () => {
      const query = { repo: alice.did, collection: POST, record: JSON.stringify(post('x')) }
      await expectErrorResponse(await xrpc('GET', 'com.atproto.repo.createRecord', { query, headers: jsonHeaders() }), 405, 'InvalidRequest')
      for (const verb of ['PUT', 'DELETE', 'PATCH']) {
        await expectErrorResponse(
          await xrpc(verb, 'com.atproto.repo.createRecord', { body: JSON.stringify({ repo: alice.did, collection: POST, record: post('x') }), headers: jsonHeaders() }),
          405,
          'InvalidRequest',
        )
      }
      await expectErrorResponse(
        await xrpc('GET', 'com.atproto.repo.deleteRecord', { query: { repo: alice.did, collection: POST, rkey: aliceRkey }, headers: jsonHeaders() }),
        405,
        'InvalidRequest',
      )
    })
    await expectErrorResponse(
      await xrpc('POST', 'com.atproto.repo.getRecord', { query: { repo: alice.did, collection: POST, rkey: aliceRkey } }),
      405,
      'InvalidRequest',
    )
  })
})

describe('bodies', () => {
  const createBody = (record: unknown) => JSON.stringify({ repo: alice.did, collection: 'com.example.thing', record })

  it('a JSON body larger than HEARTH_MAX_JSON_BYTES is 413, declared or streamed', async () => {
    const big = createBody({ $type: 'com.example.thing', blob: 'x'.repeat(MAX_JSON) })
    await unchanged(async () => {
      await expectErrorResponse(await xrpc('POST', 'com.atproto.repo.createRecord', { body: big, headers: jsonHeaders() }), 413, 'PayloadTooLarge')
      // No Content-Length to trust: chunked.
      const bytes = new TextEncoder().encode(big)
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 8192) controller.enqueue(bytes.subarray(i, i + 8192))
          controller.close()
        },
      })
      await expectErrorResponse(await xrpc('POST', 'com.atproto.repo.createRecord', { body: stream, headers: jsonHeaders() }), 413, 'PayloadTooLarge')
      // Through the agent as well.
      await expectXrpcError(
        alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: 'com.example.thing', record: { $type: 'com.example.thing', blob: 'x'.repeat(MAX_JSON) } }),
        413,
        'PayloadTooLarge',
      )
    })
    // Just under the limit is fine.
    const fits = createBody({ $type: 'com.example.thing', blob: 'x'.repeat(MAX_JSON - 1000) })
    const ok = await xrpc('POST', 'com.atproto.repo.createRecord', { body: fits, headers: jsonHeaders() })
    expect(ok.status).toBe(200)
  })

  it('a blob larger than HEARTH_MAX_BLOB_BYTES is 413; an empty one is 400', async () => {
    await expectXrpcError(alice.agent.uploadBlob(new Uint8Array(MAX_BLOB + 1), { encoding: 'image/png' }), 413, 'PayloadTooLarge')
    await expectErrorResponse(
      await xrpc('POST', 'com.atproto.repo.uploadBlob', { body: new Uint8Array(0), headers: { 'content-type': 'image/png', ...auth(alice.agent.session!.accessJwt) } }),
      400,
      'InvalidRequest',
    )
  })

  it('a body that is not JSON, not UTF-8, or not an object is 400', async () => {
    await unchanged(async () => {
      for (const body of ['{not json', '', 'null', '[]', '"a string"', '42', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])]) {
        await expectErrorResponse(await xrpc('POST', 'com.atproto.repo.createRecord', { body, headers: jsonHeaders() }), 400, 'InvalidRequest')
      }
      // Valid JSON, missing what the lexicon requires, or of the wrong type.
      await expectErrorResponse(await xrpc('POST', 'com.atproto.repo.createRecord', { body: '{}', headers: jsonHeaders() }), 400, 'InvalidRequest')
      await expectErrorResponse(
        await xrpc('POST', 'com.atproto.repo.createRecord', { body: JSON.stringify({ repo: alice.did, collection: POST, record: 'text' }), headers: jsonHeaders() }),
        400,
        'InvalidRequest',
      )
      await expectErrorResponse(
        await xrpc('POST', 'com.atproto.repo.createRecord', { body: JSON.stringify({ repo: alice.did, collection: POST, record: post('x'), validate: 'yes' }), headers: jsonHeaders() }),
        400,
        'InvalidRequest',
      )
      await expectErrorResponse(
        await xrpc('POST', 'com.atproto.repo.applyWrites', { body: JSON.stringify({ repo: alice.did, writes: [{ $type: 'com.example.write' }] }), headers: jsonHeaders() }),
        400,
        'InvalidRequest',
      )
    })
  })

  it('a record outside the data model is InvalidRecord', async () => {
    await unchanged(async () => {
      const create = (record: Record<string, unknown>) =>
        alice.agent.com.atproto.repo.createRecord({ repo: alice.did, collection: 'com.example.thing', record: { $type: 'com.example.thing', ...record } })
      await expectXrpcError(create({ n: 1.5 }), 400, 'InvalidRecord')
      await expectXrpcError(create({ link: { $link: 'not-a-cid' } }), 400, 'InvalidRecord')
      await expectXrpcError(create({ link: { $link: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm', extra: 1 } }), 400, 'InvalidRecord')
      await expectXrpcError(create({ bytes: { $bytes: '***' } }), 400, 'InvalidRecord')
      await expectXrpcError(create({ blob: { $type: 'blob', ref: 'nope', mimeType: 'image/png', size: 1 } }), 400, 'InvalidRecord')
      await expectXrpcError(create({ inner: { $type: 42 } }), 400, 'InvalidRecord')
      await expectXrpcError(create({ big: 2 ** 60 }), 400, 'InvalidRecord')
    })
  })

  it('the wrong content type is 400 and writes nothing', async () => {
    await unchanged(async () => {
      const body = JSON.stringify({ repo: alice.did, collection: POST, record: post('typed wrong') })
      const bearer = auth(alice.agent.session!.accessJwt)
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx']) {
        await expectErrorResponse(await xrpc('POST', 'com.atproto.repo.createRecord', { body, headers: { ...bearer, 'content-type': type } }), 400, 'InvalidRequest')
      }
      // No content type at all.
      await expectErrorResponse(await xrpc('POST', 'com.atproto.repo.createRecord', { body: new TextEncoder().encode(body), headers: bearer }), 400, 'InvalidRequest')
    })
    // Parameters of the type are fine.
    const ok = await xrpc('POST', 'com.atproto.repo.createRecord', {
      body: JSON.stringify({ repo: alice.did, collection: POST, rkey: TID.nextStr(), record: post('charset') }),
      headers: { ...auth(alice.agent.session!.accessJwt), 'content-type': 'application/json; charset=utf-8' },
    })
    expect(ok.status).toBe(200)
  })
})

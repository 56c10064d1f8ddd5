/**
 * com.atproto.identity.resolveDid, resolveIdentity and refreshIdentity
 * through @atproto/api against Hearth and the real PLC directory: a
 * document for a DID, a verified handle (or handle.invalid when the DID
 * document's handle does not resolve back), the lexicon's errors for
 * unknown, deactivated (tombstoned) and malformed identities.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as plc from '@did-plc/lib'
import { Secp256k1Keypair } from '@atproto/crypto'
import { startTestServer, type TestAccount, type TestServer } from '../helpers/test-server.js'
import { expectXrpcError } from './xrpc-expect.js'

let server: TestServer
let alice: TestAccount

/** A DID on the test PLC directory that no server hosts; its handle resolves nowhere. */
async function strayDid(): Promise<{ did: string; key: Secp256k1Keypair }> {
  const key = await Secp256k1Keypair.create()
  const did = await new plc.Client(server.plcUrl).createDid({ signingKey: key.did(), rotationKeys: [key.did()], handle: 'stray.example.com', pds: 'https://elsewhere.example', signer: key })
  return { did, key }
}

beforeAll(async () => {
  server = await startTestServer()
  alice = await server.createAccount('alice')
})
afterAll(() => server?.close({ removeData: true }))

describe('identity methods', () => {
  it('resolveDid gives the DID document', async () => {
    const { data } = await server.agent().com.atproto.identity.resolveDid({ did: alice.did })
    const doc = data.didDoc as { id: string; alsoKnownAs: string[]; service: { serviceEndpoint: string }[] }
    expect(doc.id).toBe(alice.did)
    expect(doc.alsoKnownAs).toContain(`at://${alice.handle}`)
    expect(doc.service[0].serviceEndpoint).toBe(server.url)
  })

  it('resolveIdentity by DID or by handle gives the DID, the verified handle and the document', async () => {
    for (const identifier of [alice.did, alice.handle, alice.handle.toUpperCase()]) {
      const { data } = await server.agent().com.atproto.identity.resolveIdentity({ identifier })
      expect(data.did).toBe(alice.did)
      expect(data.handle).toBe(alice.handle)
      expect((data.didDoc as { id: string }).id).toBe(alice.did)
    }
  })

  it('a DID whose document names a handle that does not resolve back has handle.invalid', async () => {
    const { did } = await strayDid()
    const { data } = await server.agent().com.atproto.identity.resolveIdentity({ identifier: did })
    expect(data).toMatchObject({ did, handle: 'handle.invalid' })
  })

  it("unknown, deactivated and malformed identities get the lexicon's errors", async () => {
    const agent = server.agent()
    await expectXrpcError(agent.com.atproto.identity.resolveDid({ did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' }), 400, 'DidNotFound')
    await expectXrpcError(agent.com.atproto.identity.resolveIdentity({ identifier: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' }), 400, 'DidNotFound')
    await expectXrpcError(agent.com.atproto.identity.resolveIdentity({ identifier: 'nobody-here.test' }), 400, 'HandleNotFound')
    const { did, key } = await strayDid()
    await new plc.Client(server.plcUrl).tombstone(did, key)
    await expectXrpcError(agent.com.atproto.identity.resolveDid({ did }), 400, 'DidDeactivated')
    await expectXrpcError(agent.com.atproto.identity.resolveDid({ did: 'not-a-did' }), 400, 'InvalidRequest')
    await expectXrpcError(agent.com.atproto.identity.resolveIdentity({ identifier: 'not a handle' }), 400, 'InvalidRequest')
  })

  it('refreshIdentity reads the identity afresh, for signed-in callers', async () => {
    await alice.agent.com.atproto.identity.updateHandle({ handle: 'alice-renamed.test' })
    const { data } = await alice.agent.com.atproto.identity.refreshIdentity({ identifier: alice.did })
    expect(data).toMatchObject({ did: alice.did, handle: 'alice-renamed.test' })
    await expectXrpcError(server.agent().com.atproto.identity.refreshIdentity({ identifier: alice.did }), 401, 'AuthenticationRequired')
  })
})

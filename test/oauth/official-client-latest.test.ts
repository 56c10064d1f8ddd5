/**
 * The newest official client (oauth-client-node-latest, 0.5.x: Node 22 or
 * newer; skipped on older Node, run by CI under Node 24) through the flow in
 * ./official-client-flow.ts.
 */
import { describe } from 'vitest'
import { officialClientFlow } from './official-client-flow.js'

const NODE_MAJOR = Number(process.versions.node.split('.')[0])

describe.skipIf(NODE_MAJOR < 22)('the newest @atproto/oauth-client-node signs a person in through Hearth', () => {
  officialClientFlow({
    name: 'latest',
    login: 'latestuser',
    shotSuffix: '-latest',
    // Loaded only here: the package does not load on Node 20.
    loadClient: async () => (await import('oauth-client-node-latest')).NodeOAuthClient as never,
  })
})

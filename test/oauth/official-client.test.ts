/**
 * The official client, @atproto/oauth-client-node 0.3.x, through the flow in
 * ./official-client-flow.ts.
 */
import { describe } from 'vitest'
import { officialClientFlow } from './official-client-flow.js'

describe('@atproto/oauth-client-node 0.3 signs a person in through Hearth', () => {
  officialClientFlow({
    name: 'official',
    login: 'oauthuser',
    shotSuffix: '',
    loadClient: async () => (await import('@atproto/oauth-client-node')).NodeOAuthClient,
  })
})

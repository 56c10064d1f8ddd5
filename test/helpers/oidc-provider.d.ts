// oidc-provider ships no types; this covers what test/helpers/oauth-providers.ts uses.
declare module 'oidc-provider' {
  import type { RequestListener } from 'node:http'
  export default class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>)
    callback(): RequestListener
  }
}

/**
 * `/.well-known/atproto-did`: a request whose Host is one of our handles
 * answers with that account's DID, which is how handles under this server's
 * domains verify over HTTPS. `/.well-known/did.json` publishes the server's
 * did:web.
 */
import { Hono } from 'hono'
import type { AppContext } from '../context.js'

export function wellKnownRoutes(ctx: AppContext): Hono {
  const app = new Hono()
  app.get('/.well-known/atproto-did', (c) => {
    const host = (c.req.header('host') ?? '').split(':')[0].toLowerCase()
    const account = host ? ctx.accounts.getByHandle(host) : null
    if (!account || account.status === 'deleted') {
      return c.json({ error: 'NotFound', message: `No account with handle ${host || '(none)'}` }, 404)
    }
    return c.text(account.did)
  })
  app.get('/.well-known/did.json', (c) =>
    c.json({
      '@context': ['https://www.w3.org/ns/did/v1'],
      id: ctx.config.serviceDid,
      service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: ctx.config.publicUrl }],
    }),
  )
  return app
}

/**
 * The OAuth endpoints apps call (not the page people see, which lives in
 * web/oauth-routes.tsx): discovery metadata, PAR, token, revocation. Each
 * answers with a fresh `DPoP-Nonce`, `Cache-Control: no-store`, CORS for
 * browser apps, and errors as `{ error, error_description }`.
 *
 * @example
 * app.route('/', oauthRoutes(ctx))
 */
import { Hono, type Context } from 'hono'
import type { AppContext } from '../context.js'
import { OAuthError, invalidRequest } from './oauth-error.js'

const MAX_FORM_BYTES = 64 * 1024

export function oauthRoutes(ctx: AppContext): Hono {
  const oauth = ctx.oauth
  const app = new Hono()

  app.get('/.well-known/oauth-protected-resource', (c) => c.json(oauth.resourceMetadata(), 200, { 'access-control-allow-origin': '*', 'cache-control': 'max-age=300' }))
  app.get('/.well-known/oauth-authorization-server', (c) => c.json(oauth.serverMetadata(), 200, { 'access-control-allow-origin': '*', 'cache-control': 'max-age=300' }))

  app.use('/oauth/*', async (c, next) => {
    if (c.req.method === 'OPTIONS') {
      return c.body(null, 204, {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'POST,OPTIONS',
        'access-control-allow-headers': 'content-type,dpop',
        'access-control-max-age': '86400',
      })
    }
    await next()
  })

  const endpoint = (run: (form: Record<string, string>, c: Context) => Promise<{ status: 200 | 201; body: unknown }>) => async (c: Context) => {
    const headers: Record<string, string> = {
      'cache-control': 'no-store',
      'access-control-allow-origin': '*',
      'access-control-expose-headers': 'DPoP-Nonce, WWW-Authenticate',
      'DPoP-Nonce': oauth.dpop.nonce(),
    }
    try {
      const form = await readForm(c)
      const { status, body } = await run(form, c)
      return c.json(body, status, headers)
    } catch (err) {
      if (err instanceof OAuthError) {
        const extra: Record<string, string> = err.error === 'use_dpop_nonce' ? { 'WWW-Authenticate': `DPoP error="use_dpop_nonce", error_description="${err.description}"` } : {}
        return c.json(err.toJSON(), err.status, { ...headers, ...extra, ...err.headers })
      }
      ctx.logger.error({ err, path: c.req.path }, 'OAuth endpoint failed')
      return c.json({ error: 'server_error', error_description: 'Something went wrong on this server' }, 500, headers)
    }
  }

  app.post('/oauth/par', endpoint(async (form, c) => ({ status: 201, body: await oauth.par(form, c.req.header('dpop') ?? null) })))
  app.post('/oauth/token', endpoint(async (form, c) => ({ status: 200, body: await oauth.token(form, c.req.header('dpop') ?? null) })))
  app.post('/oauth/revoke', endpoint(async (form) => {
    await oauth.revoke(form)
    return { status: 200, body: {} }
  }))
  return app
}

/** The request body as string fields: form-encoded (the spec's) or JSON; repeated or non-string fields are refused. */
async function readForm(c: Context): Promise<Record<string, string>> {
  if (Number(c.req.header('content-length') ?? 0) > MAX_FORM_BYTES) throw invalidRequest(`The request body is larger than ${MAX_FORM_BYTES} bytes`)
  const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase()
  const text = await c.req.text()
  if (text.length > MAX_FORM_BYTES) throw invalidRequest(`The request body is larger than ${MAX_FORM_BYTES} bytes`)
  const out: Record<string, string> = Object.create(null)
  if (type === 'application/x-www-form-urlencoded') {
    for (const [k, v] of new URLSearchParams(text)) {
      if (Object.hasOwn(out, k)) throw invalidRequest(`Parameter ${k.slice(0, 50)} is repeated`)
      out[k] = v
    }
    return { ...out }
  }
  if (type === 'application/json') {
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      throw invalidRequest('The request body is not valid JSON')
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalidRequest('The request body must be an object')
    for (const [k, v] of Object.entries(body)) {
      if (typeof v !== 'string') throw invalidRequest(`Parameter ${k.slice(0, 50)} must be a string`)
      out[k] = v
    }
    return { ...out }
  }
  throw invalidRequest('Send the parameters as application/x-www-form-urlencoded')
}

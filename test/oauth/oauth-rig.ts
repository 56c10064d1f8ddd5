/**
 * What the OAuth tests share: a Hearth with the loopback GitHub and Google,
 * and "apps" whose client metadata documents are served by the test on
 * loopback under made-up https hosts (`https://<name>.apps.test/…`): Hearth
 * fetches them with the global fetch, which is wrapped so those hosts reach
 * the local server, and a browser context routes them the same way (the
 * app's redirect URI is captured there instead of loaded).
 *
 * @example
 * const rig = await startOAuthRig()
 * const app = rig.registerApp('notes', { scope: 'atproto transition:generic' })
 * // app.clientId === 'https://notes.apps.test/oauth-client-metadata.json'
 * await rig.close()
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { BrowserContext } from 'playwright-core'
import { freePort, startTestPlc, startTestServer, type TestServer } from '../helpers/test-server.js'
import type { EmbeddedPlc } from '../../src/identity/embedded-plc.js'
import { startLocalProviders, type LocalProviders } from '../helpers/oauth-providers.js'

export interface RegisteredApp {
  name: string
  host: string
  clientId: string
  redirectUri: string
  metadata: Record<string, unknown>
}

export interface OAuthRig {
  server: TestServer
  providers: LocalProviders
  /** Serves (or replaces) the metadata document of app `name`. */
  registerApp(name: string, overrides?: Record<string, unknown>): RegisteredApp
  /** Serves any JSON at `https://<name>.apps.test<path>`. */
  serveJson(name: string, path: string, body: unknown, status?: number): void
  /** Routes `*.apps.test` in a browser context: the redirect URIs land in `landed` instead of loading. */
  routeApps(context: BrowserContext, landed: (url: URL) => void): Promise<void>
  /** Stops Hearth and starts it again on the same data folder, port and PLC (`server` is the new one). */
  restart(): Promise<void>
  close(): Promise<void>
}

export async function startOAuthRig(opts: { env?: Record<string, string>; plc?: EmbeddedPlc } = {}): Promise<OAuthRig> {
  const port = await freePort()
  const providers = await startLocalProviders({ hearthUrl: `http://localhost:${port}` })
  const docs = new Map<string, { status: number; body: string }>()
  // One local server for every app; it tells them apart by the host the request was for.
  const appServer = http.createServer((req, res) => {
    const host = (req.headers['x-app-host'] as string | undefined) ?? req.headers.host
    const doc = docs.get(`${host}${(req.url ?? '').split('?')[0]}`)
    if (!doc) return void res.writeHead(404).end('not found')
    res.writeHead(doc.status, { 'content-type': 'application/json' }).end(doc.body)
  })
  await new Promise<void>((resolve) => appServer.listen(0, '127.0.0.1', resolve))
  const appUrl = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}`
  // Hearth's fetches of https://*.apps.test/… go to that server.
  const original = globalThis.fetch
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const href = input instanceof Request ? input.url : String(input)
    const url = new URL(href)
    if (url.protocol === 'https:' && url.hostname.endsWith('.apps.test')) {
      const headers = new Headers(init?.headers)
      return original(`${appUrl}${url.pathname}${url.search}`, { ...init, headers: { ...Object.fromEntries(headers), 'x-app-host': url.hostname } })
    }
    return original(input, init)
  }
  const plc = opts.plc ?? (await startTestPlc())
  // Client metadata is served from loopback here: the one switch that lets Hearth fetch it.
  const env = { HEARTH_OAUTH_FETCH_PRIVATE_HOSTS: 'true', ...providers.env, ...opts.env }
  const server = await startTestServer({ env, config: { port }, plc })

  const rig: OAuthRig = {
    server,
    providers,
    registerApp(name, overrides = {}) {
      const host = `${name}.apps.test`
      const clientId = `https://${host}/oauth-client-metadata.json`
      const redirectUri = `https://${host}/callback`
      const metadata = {
        client_id: clientId,
        client_name: `App ${name}`,
        client_uri: `https://${host}`,
        redirect_uris: [redirectUri],
        scope: 'atproto transition:generic',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        application_type: 'web',
        token_endpoint_auth_method: 'none',
        dpop_bound_access_tokens: true,
        ...overrides,
      }
      rig.serveJson(name, '/oauth-client-metadata.json', metadata)
      return { name, host, clientId, redirectUri, metadata }
    },
    serveJson(name, path, body, status = 200) {
      docs.set(`${name}.apps.test${path}`, { status, body: JSON.stringify(body) })
    },
    async routeApps(context, landed) {
      await context.route(
        (url) => url.hostname.endsWith('.apps.test'),
        (route) => {
          landed(new URL(route.request().url()))
          return route.fulfill({ status: 200, contentType: 'text/html', body: '<p id="landed">back at the app</p>' })
        },
      )
    },
    async restart() {
      await rig.server.close()
      rig.server = await startTestServer({ env, config: { port }, plc, dataDir: rig.server.dataDir })
    },
    async close() {
      await rig.server.close({ removeData: true })
      if (!opts.plc) await plc.close()
      globalThis.fetch = original
      await providers.close()
      await new Promise<void>((resolve) => appServer.close(() => resolve()))
    },
  }
  return rig
}

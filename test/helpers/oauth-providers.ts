/**
 * GitHub and Google, on loopback, for sign-in tests with no internet.
 *
 * - "Google" is a real OpenID provider (oidc-provider) with Google's paths
 *   and issuer: a login page, a consent page with Cancel, PKCE, signed
 *   id_tokens, its keys at /oauth2/v3/certs.
 * - "GitHub" is oauth2-mock-server with GitHub's paths, no login page (the
 *   authorize step answers at once for the user set with `signInAs`), codes
 *   that work once (a replay gets GitHub's `bad_verification_code` inside a
 *   200), and GitHub's `/user` and `/user/emails` API answering for the
 *   access token it issued.
 *
 * Hearth runs its production code: arctic's `GitHub`/`Google` classes and
 * the jose key fetch call the real https URLs, and `startLocalProviders`
 * wraps the global `fetch` so requests for those hosts reach these servers.
 * `routeBrowser` does the same for a Chromium context's navigations and
 * blocks every other request that would leave the machine.
 *
 * @example
 * const port = await freePort()
 * const providers = await startLocalProviders({ hearthUrl: `http://localhost:${port}` })
 * const server = await startTestServer({ env: providers.env, config: { port } })
 * providers.github.signInAs({ id: 583231, login: 'octocat', email: 'octocat@example.com' })
 * await providers.routeBrowser(browserContext)
 */
import crypto from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { OAuth2Issuer, OAuth2Service, type MutableRedirectUri, type MutableResponse, type TokenRequestIncomingMessage } from 'oauth2-mock-server'
import Provider from 'oidc-provider'
import { exportJWK, generateKeyPair } from 'jose'
import type { BrowserContext } from 'playwright-core'

export interface GitHubUser {
  id: number
  login: string
  /** Verified primary email, or none. */
  email?: string | null
}

export interface LocalProviders {
  github: {
    url: string
    clientId: string
    clientSecret: string
    /** The user the next GitHub authorizations are for. */
    signInAs(user: GitHubUser): void
    /** The next authorization answers `error=access_denied`, as when the person presses Cancel on GitHub. */
    denyNext(): void
  }
  google: {
    url: string
    clientId: string
    clientSecret: string
  }
  /**
   * The next redirect back to Hearth (from either provider) stops at a page
   * on the provider's server whose `#held` link is the callback URL, so a
   * test can replay, alter or delay it. `false` withdraws a hold not yet used.
   */
  holdNextCallback(hold?: boolean): void
  /** HEARTH_* variables that turn both providers on, for startTestServer's `env`. */
  env: Record<string, string>
  /** Sends a browser context's provider navigations here and blocks any request that would leave loopback. */
  routeBrowser(context: BrowserContext): Promise<void>
  /** Stops both servers and puts the global fetch back. */
  close(): Promise<void>
}

const GITHUB_HOSTS = ['github.com', 'api.github.com']
const GOOGLE_HOSTS = ['accounts.google.com', 'oauth2.googleapis.com', 'www.googleapis.com']

export async function startLocalProviders(opts: { hearthUrl: string }): Promise<LocalProviders> {
  let holding = false
  const shouldHold = (location: string) => {
    if (!holding || !location.startsWith(`${opts.hearthUrl}/auth/`)) return false
    holding = false
    return true
  }
  const github = await startGitHub(shouldHold)
  const google = await startGoogle(`${opts.hearthUrl}/auth/google/callback`, shouldHold)
  const targets: Record<string, string> = Object.fromEntries([
    ...GITHUB_HOSTS.map((h) => [h, github.url]),
    ...GOOGLE_HOSTS.map((h) => [h, google.url]),
  ])
  const localUrl = (url: URL) => loopbackUrl(targets, url)
  const restoreFetch = redirectFetch(targets)

  return {
    github: github.handle,
    google: google.handle,
    holdNextCallback(hold = true) {
      holding = hold
    },
    env: {
      HEARTH_GITHUB_CLIENT_ID: github.handle.clientId,
      HEARTH_GITHUB_CLIENT_SECRET: github.handle.clientSecret,
      HEARTH_GOOGLE_CLIENT_ID: google.handle.clientId,
      HEARTH_GOOGLE_CLIENT_SECRET: google.handle.clientSecret,
    },
    async routeBrowser(context) {
      // Routes registered later take precedence: the block-all goes first.
      await context.route(
        (url) => !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname),
        (route) => route.abort('blockedbyclient'),
      )
      await context.route(
        (url) => localUrl(url) !== undefined,
        (route) => route.fulfill({ status: 302, headers: { Location: localUrl(new URL(route.request().url()))! } }),
      )
    },
    async close() {
      restoreFetch()
      await Promise.all([github.close(), google.close()])
    },
  }
}

/**
 * Wraps globalThis.fetch so that https requests for the hosts in `targets`
 * (host → loopback base URL) go there, path and query kept; returns the undo.
 */
export function redirectFetch(targets: Record<string, string>): () => void {
  const original = globalThis.fetch
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const href = input instanceof Request ? input.url : String(input)
    const target = loopbackUrl(targets, new URL(href))
    if (!target) return original(input, init)
    if (!(input instanceof Request)) return original(target, init)
    const body = input.method === 'GET' || input.method === 'HEAD' ? undefined : await input.arrayBuffer()
    return original(target, { method: input.method, headers: input.headers, body, signal: input.signal, redirect: input.redirect, ...init })
  }
  return () => {
    globalThis.fetch = original
  }
}

function loopbackUrl(targets: Record<string, string>, url: URL): string | undefined {
  const base = url.protocol === 'https:' && Object.hasOwn(targets, url.hostname) ? targets[url.hostname] : undefined
  return base ? base + url.pathname + url.search : undefined
}

/**
 * Wraps a provider's request handler so that a redirect to Hearth can be
 * held: its Location is turned into the provider's own `/__held` page.
 */
function holdable(handler: http.RequestListener, shouldHold: (location: string) => boolean): http.RequestListener {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname === '/__held') {
      const next = (url.searchParams.get('next') ?? '').replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
      res.setHeader('Content-Type', 'text/html; charset=utf-8')
      res.end(`<!DOCTYPE html><p>Held on the way back to Hearth.</p><a id="held" href="${next}">continue</a>`)
      return
    }
    const setHeader = res.setHeader.bind(res)
    res.setHeader = (name: string, value: number | string | readonly string[]) => {
      if (name.toLowerCase() === 'location' && typeof value === 'string' && shouldHold(value)) {
        value = `/__held?next=${encodeURIComponent(value)}`
      }
      return setHeader(name, value)
    }
    handler(req, res)
  }
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function stop(server: http.Server): Promise<void> {
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}

async function startGitHub(shouldHold: (location: string) => boolean) {
  const clientId = `gh-client-${crypto.randomBytes(4).toString('hex')}`
  const clientSecret = crypto.randomBytes(20).toString('hex')
  const issuer = new OAuth2Issuer()
  await issuer.keys.generate('RS256')
  const service = new OAuth2Service(issuer, { authorize: '/login/oauth/authorize', token: '/login/oauth/access_token' })

  let current: GitHubUser = { id: 1, login: 'octocat' }
  let deny = false
  const codes = new Map<string, { user: GitHubUser; used: boolean }>()
  const tokens = new Map<string, GitHubUser>()

  service.on('beforeAuthorizeRedirect', ({ url }: MutableRedirectUri) => {
    const code = url.searchParams.get('code')
    if (deny) {
      deny = false
      url.searchParams.delete('code')
      url.searchParams.set('error', 'access_denied')
      url.searchParams.set('error_description', 'The user has denied your application access.')
      return
    }
    if (code) codes.set(code, { user: current, used: false })
  })
  service.on('beforeResponse', (response: MutableResponse, req: TokenRequestIncomingMessage) => {
    const [id, secret] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':')
    const grant = codes.get(req.body.code ?? '')
    // GitHub answers its OAuth errors with a 200 and an `error` field.
    if (id !== clientId || secret !== clientSecret) {
      response.body = { error: 'incorrect_client_credentials', error_description: 'The client_id and/or client_secret passed are incorrect.' }
    } else if (!grant || grant.used) {
      response.body = { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' }
    } else if (typeof response.body === 'object') {
      grant.used = true
      const accessToken = `gho_${crypto.randomBytes(18).toString('hex')}`
      tokens.set(accessToken, grant.user)
      response.body = { access_token: accessToken, token_type: 'bearer', scope: 'read:user,user:email' }
    }
    response.statusCode = 200
  })

  const api = (req: http.IncomingMessage, res: http.ServerResponse, path: string) => {
    const user = tokens.get((req.headers.authorization ?? '').replace(/^(Bearer|token) /i, ''))
    res.setHeader('Content-Type', 'application/json')
    if (!user) {
      res.statusCode = 401
      res.end(JSON.stringify({ message: 'Bad credentials' }))
    } else if (path === '/user') {
      res.end(JSON.stringify({ id: user.id, login: user.login, name: user.login, email: null, type: 'User' }))
    } else {
      res.end(JSON.stringify(user.email ? [{ email: user.email, primary: true, verified: true, visibility: 'private' }] : []))
    }
  }
  const handler = holdable(service.requestHandler, shouldHold)
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path === '/user' || path === '/user/emails') api(req, res, path)
    else handler(req, res)
  })
  const url = await listen(server)
  issuer.url = url
  return {
    url,
    handle: {
      url,
      clientId,
      clientSecret,
      signInAs(user: GitHubUser) {
        current = user
      },
      denyNext() {
        deny = true
      },
    },
    close: () => stop(server),
  }
}

async function startGoogle(redirectUri: string, shouldHold: (location: string) => boolean) {
  const clientId = `${crypto.randomBytes(6).toString('hex')}.apps.googleusercontent.test`
  const clientSecret = crypto.randomBytes(20).toString('hex')
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const signingKey = { ...(await exportJWK(privateKey)), kid: crypto.randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' }
  const provider = new Provider('https://accounts.google.com', {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    routes: { authorization: '/o/oauth2/v2/auth', token: '/token', jwks: '/oauth2/v3/certs', userinfo: '/v1/userinfo', revocation: '/revoke' },
    pkce: { required: () => true },
    // As at Google, the id_token itself carries email and name.
    conformIdTokenClaims: false,
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // The login page takes any name; the person is `<name>@example.com`.
    findAccount: (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: () => ({ sub, email: `${sub}@example.com`, email_verified: true, name: sub }),
    }),
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    jwks: { keys: [signingKey as never] },
  })
  const server = http.createServer(holdable(provider.callback(), shouldHold))
  const url = await listen(server)
  return { url, handle: { url, clientId, clientSecret }, close: () => stop(server) }
}

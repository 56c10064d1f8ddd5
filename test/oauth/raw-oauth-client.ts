/**
 * An OAuth client written out step by step, for the tests that must send
 * what no well-behaved client sends (replayed proofs, wrong htu, reused
 * codes, foreign redirect URIs). It signs DPoP proofs with jose, retries
 * once on `use_dpop_nonce` like real clients do (unless told not to), and
 * approves on Hearth's real authorization page over HTTP with a password
 * sign-in (the browser flow has its own test).
 *
 * @example
 * const c = await RawOAuthClient.create(server.url, app)
 * await c.signIn(alice.handle, alice.password)
 * const tokens = await c.fullFlow('atproto transition:generic')
 * await c.xrpc('GET', 'com.atproto.server.getSession', { token: tokens.access_token })
 */
import crypto from 'node:crypto'
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose'

export interface DpopKey {
  privateKey: CryptoKey
  jwk: JWK
}

export interface ProofOptions {
  htm: string
  htu: string
  nonce?: string | null
  ath?: string
  iat?: number
  jti?: string
  key?: DpopKey
}

export interface Answer {
  status: number
  body: any
  headers: Headers
}

export const newDpopKey = async (): Promise<DpopKey> => {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  return { privateKey, jwk: await exportJWK(publicKey) }
}

export const pkcePair = () => {
  const verifier = crypto.randomBytes(32).toString('base64url')
  return { verifier, challenge: crypto.createHash('sha256').update(verifier).digest('base64url') }
}

export class RawOAuthClient {
  nonce: string | null = null
  private cookies = new Map<string, string>()
  /** Headers the "browser" sends with every page request (Accept-Language, …). */
  pageHeaders: Record<string, string> = {}
  /** Extra form fields sent on every PAR and token request (client authentication). */
  clientAuth: () => Promise<Record<string, string>> = async () => ({})

  private constructor(
    readonly hearth: string,
    readonly clientId: string,
    readonly redirectUri: string,
    public key: DpopKey,
  ) {}

  static async create(hearth: string, app: { clientId: string; redirectUri: string }): Promise<RawOAuthClient> {
    return new RawOAuthClient(hearth, app.clientId, app.redirectUri, await newDpopKey())
  }

  async proof(o: ProofOptions): Promise<string> {
    const key = o.key ?? this.key
    const nonce = o.nonce === undefined ? this.nonce : o.nonce
    return new SignJWT({ htm: o.htm, htu: o.htu, ...(nonce ? { nonce } : {}), ...(o.ath ? { ath: o.ath } : {}) })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
      .setJti(o.jti ?? crypto.randomBytes(12).toString('base64url'))
      .setIssuedAt(o.iat ?? Math.floor(Date.now() / 1000))
      .sign(key.privateKey)
  }

  /** POSTs a form to /oauth/<endpoint> with a DPoP proof (one retry with the server's nonce). */
  async post(endpoint: 'par' | 'token' | 'revoke', form: Record<string, string>, opts: { retry?: boolean; dpop?: string | null } = {}): Promise<Answer> {
    const url = `${this.hearth}/oauth/${endpoint}`
    const send = async () => {
      const dpop = opts.dpop === undefined ? await this.proof({ htm: 'POST', htu: url }) : opts.dpop
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(dpop ? { dpop } : {}) },
        body: new URLSearchParams(form).toString(),
      })
      const nonce = res.headers.get('dpop-nonce')
      if (nonce) this.nonce = nonce
      return { status: res.status, body: await res.json(), headers: res.headers }
    }
    const first = await send()
    if (first.body?.error === 'use_dpop_nonce' && opts.retry !== false && opts.dpop === undefined) return send()
    return first
  }

  async par(extra: Record<string, string> = {}, pkce = pkcePair()) {
    const res = await this.post('par', {
      client_id: this.clientId,
      response_type: 'code',
      redirect_uri: this.redirectUri,
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      state: 'st-1',
      ...(await this.clientAuth()),
      ...extra,
    })
    return { ...res, pkce }
  }

  /** Signs in to Hearth's pages with a password (the cookie jar keeps the session). */
  async signIn(identifier: string, password: string): Promise<void> {
    const page = await this.page('GET', '/sign-in')
    const res = await this.page('POST', '/sign-in/password', { identifier, password, _csrf: csrfOf(page.text) })
    if (res.status !== 303) throw new Error(`password sign-in answered ${res.status}`)
  }

  /** Opens the authorization page for `requestUri`; approves (or denies) on it. Returns where Hearth sent the browser. */
  async authorize(requestUri: string, decision: 'approve' | 'deny' = 'approve'): Promise<{ location: URL; consentShown: boolean; page?: string }> {
    const q = new URLSearchParams({ client_id: this.clientId, request_uri: requestUri })
    const first = await this.page('GET', `/oauth/authorize?${q}`)
    if (first.status === 303) return { location: new URL(first.location!, this.hearth), consentShown: false }
    if (first.status !== 200) throw Object.assign(new Error(`authorization page answered ${first.status}`), { page: first.text })
    const res = await this.page('POST', '/oauth/authorize', { client_id: this.clientId, request_uri: requestUri, decision, _csrf: csrfOf(first.text) })
    if (res.status !== 303) throw new Error(`the decision answered ${res.status}: ${res.text.slice(0, 300)}`)
    return { location: new URL(res.location!), consentShown: true, page: first.text }
  }

  /** PAR → page → code → tokens. */
  async fullFlow(scope: string, extra: Record<string, string> = {}) {
    const par = await this.par({ scope, ...extra })
    if (par.status !== 201) throw new Error(`PAR answered ${par.status} ${JSON.stringify(par.body)}`)
    const { location } = await this.authorize(par.body.request_uri)
    const code = location.searchParams.get('code')!
    const token = await this.exchange(code, par.pkce.verifier)
    if (token.status !== 200) throw new Error(`token answered ${token.status} ${JSON.stringify(token.body)}`)
    return { ...token.body, code, verifier: par.pkce.verifier } as { access_token: string; refresh_token: string; scope: string; sub: string; code: string; verifier: string }
  }

  async exchange(code: string, verifier: string, extra: Record<string, string> = {}) {
    return this.post('token', {
      grant_type: 'authorization_code',
      client_id: this.clientId,
      code,
      code_verifier: verifier,
      redirect_uri: this.redirectUri,
      ...(await this.clientAuth()),
      ...extra,
    })
  }

  async refresh(refreshToken: string, opts: { retry?: boolean } = {}) {
    return this.post('token', { grant_type: 'refresh_token', client_id: this.clientId, refresh_token: refreshToken, ...(await this.clientAuth()) }, opts)
  }

  /** An XRPC call with `Authorization: DPoP <token>`; `proof` overrides the proof made here; one nonce retry unless `retry: false`. */
  async xrpc(method: 'GET' | 'POST', nsid: string, o: { token: string; params?: Record<string, string>; body?: unknown; proof?: (url: string) => Promise<string | null>; scheme?: string; retry?: boolean; contentType?: string }): Promise<Answer> {
    const url = `${this.hearth}/xrpc/${nsid}${o.params ? `?${new URLSearchParams(o.params)}` : ''}`
    const ath = crypto.createHash('sha256').update(o.token).digest('base64url')
    const send = async () => {
      const dpop = o.proof ? await o.proof(url) : await this.proof({ htm: method, htu: url, ath })
      const body = o.body === undefined ? undefined : o.body instanceof Uint8Array ? o.body : JSON.stringify(o.body)
      const res = await fetch(url, {
        method,
        headers: {
          authorization: `${o.scheme ?? 'DPoP'} ${o.token}`,
          ...(dpop ? { dpop } : {}),
          ...(body !== undefined ? { 'content-type': o.contentType ?? 'application/json' } : {}),
        },
        body: body as BodyInit | undefined,
      })
      const nonce = res.headers.get('dpop-nonce')
      if (nonce) this.nonce = nonce
      const text = await res.text()
      return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers }
    }
    const first = await send()
    if (first.body?.error === 'use_dpop_nonce' && o.retry !== false && !o.proof) return send()
    return first
  }

  athOf(token: string): string {
    return crypto.createHash('sha256').update(token).digest('base64url')
  }

  private async page(method: 'GET' | 'POST', path: string, form?: Record<string, string>) {
    const res = await fetch(`${this.hearth}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...this.pageHeaders,
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded', origin: this.hearth } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    })
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const i = pair.indexOf('=')
      const name = pair.slice(0, i)
      const value = pair.slice(i + 1)
      if (value === '' || /max-age=0/i.test(c)) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return { status: res.status, text: await res.text(), location: res.headers.get('location') }
  }
}

function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html)
  if (!m) throw new Error('no CSRF token on the page')
  return m[1]
}

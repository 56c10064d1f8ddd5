/**
 * Google sign-in checks the id_token instead of just decoding it: signature
 * against Google's published keys (fetched from their real URL, redirected
 * to loopback, and cached), issuer, audience, expiry and the nonce of the
 * attempt. A loopback "Google" token endpoint hands out tokens this test
 * signs, good and bad; the code under test is the production GoogleSignIn.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SignJWT, exportJWK, generateKeyPair, type JWTPayload, type CryptoKey } from 'jose'
import { generateCodeVerifier } from 'arctic'
import { GoogleSignIn } from '../../src/auth/sign-in/google-sign-in.js'
import { redirectFetch } from '../helpers/oauth-providers.js'

const CLIENT_ID = 'hearth-test.apps.googleusercontent.test'
const KID = 'google-key-1'

describe('Google id_token verification', () => {
  let server: http.Server
  let restoreFetch: () => void
  let googleKey: CryptoKey
  let strangerKey: CryptoKey
  let nextTokenResponse: { status: number; body: unknown }
  let keyFetches = 0
  let google: GoogleSignIn
  const pkce = { codeVerifier: generateCodeVerifier(), nonce: 'nonce-of-this-attempt' }

  beforeAll(async () => {
    const published = await generateKeyPair('RS256', { extractable: true })
    googleKey = published.privateKey
    strangerKey = (await generateKeyPair('RS256')).privateKey
    const jwk = { ...(await exportJWK(published.publicKey)), kid: KID, alg: 'RS256', use: 'sig' }
    server = http.createServer((req, res) => {
      res.setHeader('Content-Type', 'application/json')
      if (req.url === '/oauth2/v3/certs') {
        keyFetches++
        res.end(JSON.stringify({ keys: [jwk] }))
      } else if (req.url === '/token' && req.method === 'POST') {
        req.resume()
        res.statusCode = nextTokenResponse.status
        res.end(JSON.stringify(nextTokenResponse.body))
      } else {
        res.statusCode = 404
        res.end('{}')
      }
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    restoreFetch = redirectFetch({ 'oauth2.googleapis.com': url, 'www.googleapis.com': url })
    google = new GoogleSignIn({ clientId: CLIENT_ID, clientSecret: 'secret' }, 'http://localhost:2583/auth/google/callback')
  })
  afterAll(async () => {
    restoreFetch?.()
    await new Promise((resolve) => server?.close(resolve))
  })

  const now = () => Math.floor(Date.now() / 1000)
  const claims = (over: JWTPayload = {}): JWTPayload => ({
    iss: 'https://accounts.google.com',
    aud: CLIENT_ID,
    sub: '110169484474386276334',
    email: 'jane@example.com',
    email_verified: true,
    name: 'Jane',
    nonce: pkce.nonce,
    iat: now(),
    exp: now() + 600,
    ...over,
  })
  const sign = (payload: JWTPayload, key: CryptoKey | Uint8Array = googleKey, header: { alg: string; kid?: string } = { alg: 'RS256', kid: KID }) =>
    new SignJWT(payload).setProtectedHeader(header).sign(key)
  /** Google's token endpoint will answer with this id_token. */
  const answerWith = (idToken: string) => {
    nextTokenResponse = { status: 200, body: { access_token: 'ya29.token', token_type: 'Bearer', expires_in: 3599, scope: 'openid email profile', id_token: idToken } }
  }

  it('accepts a token Google signed for this client and attempt', async () => {
    answerWith(await sign(claims()))
    await expect(google.identify('code', pkce)).resolves.toEqual({
      provider: 'google',
      subject: '110169484474386276334',
      username: 'jane@example.com',
      email: 'jane@example.com',
    })
    answerWith(await sign(claims({ iss: 'accounts.google.com' })))
    await expect(google.identify('code', pkce)).resolves.toMatchObject({ subject: '110169484474386276334' })
  })

  it('does not take an unverified email', async () => {
    answerWith(await sign(claims({ email_verified: false })))
    await expect(google.identify('code', pkce)).resolves.toMatchObject({ email: null, username: 'Jane' })
  })

  const refusals: [string, () => Promise<string>][] = [
    ['signed by another key under Google’s key id', () => sign(claims(), strangerKey)],
    ['signed by a key Google does not publish', () => sign(claims(), strangerKey, { alg: 'RS256', kid: 'unknown-key' })],
    ['HS256 with a guessable secret', () => sign(claims(), new TextEncoder().encode(CLIENT_ID), { alg: 'HS256', kid: KID })],
    ['for another client', () => sign(claims({ aud: 'someone-else.apps.googleusercontent.com' }))],
    ['from another issuer', () => sign(claims({ iss: 'https://evil.example' }))],
    ['expired', () => sign(claims({ iat: now() - 7200, exp: now() - 3600 }))],
    ['for another sign-in attempt (nonce)', () => sign(claims({ nonce: 'someone-elses-nonce' }))],
    ['without a nonce', () => sign(claims({ nonce: undefined }))],
  ]
  for (const [what, token] of refusals) {
    it(`refuses a token ${what}`, async () => {
      answerWith(await token())
      await expect(google.identify('code', pkce)).rejects.toMatchObject({ name: 'SignInError', kind: 'invalid-identity' })
    })
  }

  it('turns Google refusing the code into a provider error', async () => {
    nextTokenResponse = { status: 400, body: { error: 'invalid_grant', error_description: 'Bad Request' } }
    await expect(google.identify('code', pkce)).rejects.toMatchObject({ kind: 'provider-error' })
  })

  it('fetched Google’s keys once for all of the above, refetching only for an unknown key id', () => {
    // One fetch on first use, one more (at most) when the unknown kid showed up.
    expect(keyFetches).toBeGreaterThanOrEqual(1)
    expect(keyFetches).toBeLessThanOrEqual(2)
  })
})

/**
 * What a sign-in provider (GitHub, Google) looks like to the sign-in flow:
 * it builds the URL the browser is sent to, and turns the code it sends back
 * into a checked identity. Both implementations use arctic's real provider
 * classes, which call the providers' real endpoints.
 */
import { ArcticFetchError, OAuth2RequestError, UnexpectedErrorResponseBodyError, UnexpectedResponseError } from 'arctic'
import { SignInError } from './sign-in-error.js'

export type ProviderId = 'github' | 'google'

export const PROVIDER_IDS: readonly ProviderId[] = ['github', 'google']

export const isProviderId = (s: string): s is ProviderId => (PROVIDER_IDS as readonly string[]).includes(s)

/** Who the provider says signed in. `subject` never changes for a person; the rest may. */
export interface ProviderIdentity {
  provider: ProviderId
  /** GitHub's numeric user id (as a string) or Google's `sub`. */
  subject: string
  /** GitHub login or Google email: shown on the pages and used to derive a handle. */
  username: string
  /** A verified email address, or null. */
  email: string | null
}

/** What the flow kept for the attempt, handed back to the provider with the code. */
export interface PkceSecrets {
  codeVerifier: string
  nonce: string
}

export interface SignInProvider {
  readonly id: ProviderId
  /** The name on the button. */
  readonly label: string
  /** True when the provider takes PKCE and a nonce (Google), which are then kept with the state. */
  readonly usesPkce: boolean
  authorizationUrl(state: string, pkce: PkceSecrets | null): URL
  /** Exchanges the code and checks who it belongs to; throws SignInError. */
  identify(code: string, pkce: PkceSecrets | null): Promise<ProviderIdentity>
}

/** Where the provider sends the browser back: the URL operators register with it. */
export const callbackPath = (id: ProviderId) => `/auth/${id}/callback`

/** Runs a token request, turning arctic's errors into SignInErrors the person can act on. */
export async function exchangeCode<T>(label: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request()
  } catch (err) {
    if (err instanceof OAuth2RequestError) {
      throw new SignInError('provider-error', `${label} did not accept the sign-in (${err.code}). Start the sign-in again.`)
    }
    if (err instanceof ArcticFetchError) {
      throw new SignInError('provider-unreachable', `${label} could not be reached. Try again in a moment.`, 502)
    }
    if (err instanceof UnexpectedResponseError || err instanceof UnexpectedErrorResponseBodyError) {
      throw new SignInError('provider-error', `${label} answered the sign-in with an error (HTTP ${err.status}). Try again.`, 502)
    }
    throw err
  }
}

/** GETs JSON from a provider API with a bearer token; SignInError on anything but a 200 with JSON. */
export async function providerApiGet(label: string, url: string, accessToken: string): Promise<unknown> {
  let res: Response
  try {
    res = await fetch(url, {
      headers: {
        Authorization: `Bearer ${accessToken}`,
        Accept: 'application/json',
        'User-Agent': 'hearth',
      },
      signal: AbortSignal.timeout(10_000),
    })
  } catch {
    throw new SignInError('provider-unreachable', `${label} could not be reached. Try again in a moment.`, 502)
  }
  if (res.status !== 200) {
    await res.body?.cancel()
    throw new SignInError('provider-error', `${label} refused to say who signed in (HTTP ${res.status}). Try again.`, 502)
  }
  try {
    return await res.json()
  } catch {
    throw new SignInError('provider-error', `${label} sent an answer that is not JSON. Try again.`, 502)
  }
}

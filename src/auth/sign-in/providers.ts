/**
 * The providers this server offers, from its configuration: a provider is
 * on when both its client id and secret are set.
 */
import type { Config } from '../../config.js'
import { GitHubSignIn } from './github-sign-in.js'
import { GoogleSignIn } from './google-sign-in.js'
import { callbackPath, type ProviderId, type SignInProvider } from './sign-in-provider.js'

export function configuredProviders(config: Config): Map<ProviderId, SignInProvider> {
  const providers = new Map<ProviderId, SignInProvider>()
  if (config.github) providers.set('github', new GitHubSignIn(config.github, config.publicUrl + callbackPath('github')))
  if (config.google) providers.set('google', new GoogleSignIn(config.google, config.publicUrl + callbackPath('google')))
  return providers
}

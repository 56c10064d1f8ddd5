/**
 * The providers this server offers, from its configuration: a provider is
 * on when both its client id and secret are set.
 */
import type { Config } from '../../config.js'
import { GitHubSignIn } from './github-sign-in.js'
import { GoogleSignIn } from './google-sign-in.js'
import { PagePaths } from '../../page-paths.js'
import { callbackPath, type ProviderId, type SignInProvider } from './sign-in-provider.js'

export function configuredProviders(config: Config): Map<ProviderId, SignInProvider> {
  const providers = new Map<ProviderId, SignInProvider>()
  // The callbacks move with the pages' prefix: the operator registers <publicUrl><prefix>/auth/<provider>/callback.
  const paths = new PagePaths(config.pagesPrefix)
  if (config.github) providers.set('github', new GitHubSignIn(config.github, config.publicUrl + paths.to(callbackPath('github'))))
  if (config.google) providers.set('google', new GoogleSignIn(config.google, config.publicUrl + paths.to(callbackPath('google'))))
  return providers
}

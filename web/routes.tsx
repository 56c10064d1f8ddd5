/**
 * The person's web pages, mounted by src/app.ts: sign-in (GitHub, Google,
 * password), the account page, app passwords, handle, sessions, and the
 * stylesheet they share.
 *
 * @example
 * app.route('/', webRoutes(ctx))
 */
import fs from 'node:fs'
import { Hono } from 'hono'
import type { AppContext } from '../src/context.js'
import { projectPath } from '../src/project-paths.js'
import { createWebSignIn } from '../src/auth/sign-in/web-sign-in.js'
import { STYLESHEET_PATH } from './layout.js'
import { signInRoutes } from './sign-in-routes.js'
import { accountRoutes } from './account-routes.js'
import { scopeRoutes } from './scope-routes.js'
import { oauthPageRoutes } from './oauth-routes.js'

export function webRoutes(ctx: AppContext): Hono {
  const w = createWebSignIn(ctx)
  const stylesheet = fs.readFileSync(projectPath('web', 'assets', 'style.css'), 'utf8')
  const app = new Hono()
  app.get(STYLESHEET_PATH, (c) =>
    c.body(stylesheet, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=3600', 'X-Content-Type-Options': 'nosniff' }),
  )
  app.route('/', signInRoutes(ctx, w))
  app.route('/', accountRoutes(ctx, w))
  app.route('/', scopeRoutes(ctx, w))
  app.route('/', oauthPageRoutes(ctx, w))
  return app
}

/**
 * The person's web pages, mounted by src/app.ts: the front door, sign-in
 * (GitHub, Google, password), the account page, the data browser, scopes and
 * apps, live activity, settings (password, sign-ins, export, deactivate,
 * delete), app passwords, handle, sessions, and the stylesheet and script
 * they share.
 *
 * @example
 * app.route('/', webRoutes(ctx))
 */
import fs from 'node:fs'
import { Hono } from 'hono'
import type { AppContext } from '../src/context.js'
import { projectPath } from '../src/project-paths.js'
import { createWebSignIn } from '../src/auth/sign-in/web-sign-in.js'
import { SCRIPT_PATH, STYLESHEET_PATH } from './layout.js'
import { BRANDING_STYLESHEET_PATH, brandingFrom, brandingMiddleware } from './branding.js'
import { DEFAULT_BRANDING, brandingStylesheet, type PageBranding } from '../src/embed/page-options.js'
import { signInRoutes } from './sign-in-routes.js'
import { accountRoutes } from './account-routes.js'
import { scopeRoutes } from './scope-routes.js'
import { oauthPageRoutes } from './oauth-routes.js'
import { moveRoutes } from './move-routes.js'
import { moveInRoutes } from './move-in-routes.js'
import { frontRoutes } from './front-routes.js'
import { dataRoutes } from './data-routes.js'
import { activityRoutes } from './activity-routes.js'
import { settingsRoutes } from './settings-routes.js'
import { appNames } from './app-names.js'

/** Every path a page lives under (the branding middleware runs there). */
const PAGE_PATHS = ['/', '/sign-in', '/sign-in/*', '/sign-out', '/auth/*', '/account', '/account/*', '/oauth/*']

/** Hearth's pages; `host` is what a host app that mounts Hearth changed about them (createPds `pages`). */
export function webRoutes(ctx: AppContext, host: PageBranding = DEFAULT_BRANDING): Hono {
  const w = createWebSignIn(ctx)
  const stylesheet = fs.readFileSync(projectPath('web', 'assets', 'style.css'), 'utf8')
  const script = fs.readFileSync(projectPath('web', 'assets', 'pages.js'), 'utf8')
  const app = new Hono()
  const branding = brandingFrom(ctx.config, host)
  // Only the pages' paths: XRPC requests never pay for it.
  for (const path of PAGE_PATHS) app.use(path, brandingMiddleware(branding))
  if (branding.cssVariables.length > 0) {
    const brandCss = brandingStylesheet(branding)
    app.get(BRANDING_STYLESHEET_PATH, (c) =>
      c.body(brandCss, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=3600', 'X-Content-Type-Options': 'nosniff' }),
    )
  }
  app.get(STYLESHEET_PATH, (c) =>
    c.body(stylesheet, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=3600', 'X-Content-Type-Options': 'nosniff' }),
  )
  app.get(SCRIPT_PATH, (c) =>
    c.body(script, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=3600', 'X-Content-Type-Options': 'nosniff' }),
  )
  const names = appNames(ctx.idResolver)
  app.route('/', signInRoutes(ctx, w))
  app.route('/', accountRoutes(ctx, w))
  app.route('/', oauthPageRoutes(ctx, w))
  app.route('/', moveRoutes(ctx, w))
  app.route('/', moveInRoutes(ctx, w))
  if (branding.frontPage) app.route('/', frontRoutes(ctx, w))
  app.route('/', scopeRoutes(ctx, w, names))
  app.route('/', dataRoutes(ctx, w))
  app.route('/', activityRoutes(ctx, w, names))
  app.route('/', settingsRoutes(ctx, w))
  return app
}

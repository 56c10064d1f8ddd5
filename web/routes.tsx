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
import { createWebSignIn, type WebSignIn } from '../src/auth/sign-in/web-sign-in.js'
import { SCRIPT_PATH, STYLESHEET_PATH } from './layout.js'
import { BRANDING_STYLESHEET_PATH, brandingFrom, brandingMiddleware, type Branding } from './branding.js'
import { DEFAULT_BRANDING, brandingStylesheet, type PageBranding } from '../src/embed/page-options.js'
import { signInRoutes } from './sign-in-routes.js'
import { accountRoutes } from './account-routes.js'
import { scopeRoutes } from './scope-routes.js'
import { connectedAppsRoutes, oauthPageRoutes } from './oauth-routes.js'
import { moveRoutes } from './move-routes.js'
import { moveInRoutes } from './move-in-routes.js'
import { frontRoutes } from './front-routes.js'
import { dataRoutes } from './data-routes.js'
import { activityRoutes } from './activity-routes.js'
import { settingsRoutes } from './settings-routes.js'
import { appNames } from './app-names.js'

/** Every path a page lives under, below the pages' prefix (the branding middleware runs there). */
const PAGE_PATHS = ['/', '/sign-in', '/sign-in/*', '/sign-out', '/auth/*', '/account', '/account/*']

/**
 * Hearth's pages; `host` is what a host app that mounts Hearth changed about
 * them (createPds `pages`). They are mounted under the pages' prefix
 * (src/page-paths.ts), except the OAuth authorize page, which stays at
 * /oauth/authorize where clients find it.
 */
export function webRoutes(ctx: AppContext, host: PageBranding = DEFAULT_BRANDING): Hono {
  const w = createWebSignIn(ctx)
  const branding = brandingFrom(ctx.config, host)
  const root = new Hono()
  root.use('/oauth/*', brandingMiddleware(branding))
  root.route('/', oauthPageRoutes(ctx, w))
  root.route(w.paths.prefix || '/', pageRoutes(ctx, w, branding))
  return root
}

function pageRoutes(ctx: AppContext, w: WebSignIn, branding: Branding): Hono {
  const stylesheet = fs.readFileSync(projectPath('web', 'assets', 'style.css'), 'utf8')
  const script = fs.readFileSync(projectPath('web', 'assets', 'pages.js'), 'utf8')
  const app = new Hono()
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
  app.route('/', connectedAppsRoutes(ctx, w))
  app.route('/', moveRoutes(ctx, w))
  app.route('/', moveInRoutes(ctx, w))
  if (branding.frontPage) app.route('/', frontRoutes(ctx, w))
  app.route('/', scopeRoutes(ctx, w, names))
  app.route('/', dataRoutes(ctx, w))
  app.route('/', activityRoutes(ctx, w, names))
  app.route('/', settingsRoutes(ctx, w))
  return app
}

/**
 * What a host changes about Hearth's web pages: whether Hearth serves a
 * front page at `/` (off, and the host's own `/` answers), the name the
 * pages carry instead of "Hearth", a logo, and colours through the
 * stylesheet's CSS variables (`--accent`, `--ink`, `--paper`, …, see
 * web/assets/style.css). The pages' Content-Security-Policy allows only
 * same-origin images and styles, so the logo is a path the host serves and
 * the variables are served by Hearth as a stylesheet, never inline.
 *
 * @example
 * createPds({ pages: { frontPage: false, name: 'Notes', logoUrl: '/logo.svg', cssVariables: { '--accent': '#0a66c2' } } })
 * createPds({ pages: { prefix: '/hearth', passwordSignIn: false } })
 */
import { ConfigError } from '../config.js'
import { checkPagePrefix } from '../page-paths.js'

export interface PageOptions {
  /** false: Hearth serves nothing at `/`, so the host's own front page answers. Default true. */
  frontPage?: boolean
  /** The name in page titles and the top bar (default "Hearth"). */
  name?: string
  /** A same-origin path to a logo image shown in the top bar (`/logo.svg`). */
  logoUrl?: string
  /** CSS custom properties for the pages (`{ '--accent': '#0a66c2' }`). */
  cssVariables?: Record<string, string>
  /**
   * Where Hearth's pages are mounted (`'/hearth'`: sign-in at `/hearth/sign-in`,
   * the account at `/hearth/account`, assets at `/hearth/web/…`). Default: the
   * root, as HEARTH_PAGES_PREFIX. `/xrpc`, `/.well-known` and `/oauth` never move.
   * The GitHub/Google callbacks move with the pages: register
   * `<publicUrl><prefix>/auth/github/callback` with the provider.
   */
  prefix?: string
  /**
   * false: the pages offer no password sign-in (the form is gone, its route
   * refuses); sign-in is GitHub/Google only. XRPC createSession (apps, app
   * passwords) is not affected. Default true, as HEARTH_PASSWORD_SIGN_IN.
   */
  passwordSignIn?: boolean
}

/** The pages' look, resolved: what web/layout.tsx reads. */
export interface PageBranding {
  frontPage: boolean
  /** null: the host did not name the pages (HEARTH_SERVER_NAME, else "Hearth"). */
  name: string | null
  logoUrl: string | null
  cssVariables: [string, string][]
}

export const DEFAULT_BRANDING: PageBranding = { frontPage: true, name: null, logoUrl: null, cssVariables: [] }

const KNOWN = new Set(['frontPage', 'name', 'logoUrl', 'cssVariables', 'prefix', 'passwordSignIn'])

export function checkPageOptions(pages: PageOptions | undefined): PageOptions {
  if (pages === undefined) return {}
  if (!pages || typeof pages !== 'object' || Array.isArray(pages)) throw new ConfigError('pages', 'expected an object')
  for (const key of Object.keys(pages)) if (!KNOWN.has(key)) throw new ConfigError(`pages.${key}`, `unknown option: pages takes ${[...KNOWN].join(', ')}`)
  if (pages.frontPage !== undefined && typeof pages.frontPage !== 'boolean') throw new ConfigError('pages.frontPage', 'expected true or false')
  if (pages.passwordSignIn !== undefined && typeof pages.passwordSignIn !== 'boolean') throw new ConfigError('pages.passwordSignIn', 'expected true or false')
  if (pages.prefix !== undefined) {
    if (typeof pages.prefix !== 'string') throw new ConfigError('pages.prefix', 'expected a path such as "/hearth"')
    checkPagePrefix(pages.prefix, 'pages.prefix')
  }
  if (pages.name !== undefined && (typeof pages.name !== 'string' || !pages.name.trim() || pages.name.length > 60)) {
    throw new ConfigError('pages.name', 'expected a name of 1 to 60 characters')
  }
  if (pages.logoUrl !== undefined && (typeof pages.logoUrl !== 'string' || !/^\/(?!\/)[^\s"'<>\\]*$/.test(pages.logoUrl))) {
    throw new ConfigError('pages.logoUrl', 'expected a path on this origin such as "/logo.svg" (the pages load images from their own origin only)')
  }
  if (pages.cssVariables !== undefined) {
    if (!pages.cssVariables || typeof pages.cssVariables !== 'object' || Array.isArray(pages.cssVariables)) {
      throw new ConfigError('pages.cssVariables', 'expected an object of CSS custom properties')
    }
    for (const [name, value] of Object.entries(pages.cssVariables)) {
      if (!/^--[a-zA-Z0-9_-]{1,60}$/.test(name)) throw new ConfigError(`pages.cssVariables["${name.slice(0, 60)}"]`, 'a CSS custom property is named --something')
      // A value must not close the rule or start another: the stylesheet is built from it.
      if (typeof value !== 'string' || value.length > 200 || /[;{}<>\\]|\/\*/.test(value)) {
        throw new ConfigError(`pages.cssVariables["${name}"]`, 'expected a plain CSS value (no ; { } < > \\ or comments)')
      }
    }
  }
  return pages
}

export function resolveBranding(pages: PageOptions = {}): PageBranding {
  return {
    frontPage: pages.frontPage ?? true,
    name: pages.name?.trim() ?? null,
    logoUrl: pages.logoUrl ?? null,
    cssVariables: Object.entries(pages.cssVariables ?? {}),
  }
}

/** The stylesheet that sets the host's variables, served after the pages' own. */
export function brandingStylesheet(branding: { cssVariables: [string, string][] }): string {
  return `:root {\n${branding.cssVariables.map(([k, v]) => `  ${k}: ${v};`).join('\n')}\n}\n`
}

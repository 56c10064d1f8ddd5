/**
 * The one place the pages learn what this server is called (and, once a host
 * sets one, its logo): the layout reads it through a JSX context that
 * sendPage fills from the request, so no page passes it along by hand.
 *
 * @example
 * app.use('*', brandingMiddleware(brandingFrom(ctx.config)))
 * const { name } = useBranding() // inside any page component
 */
import type { Context, MiddlewareHandler } from 'hono'
import { createContext, useContext, type Child } from 'hono/jsx'
import type { Config } from '../src/config.js'
import { PagePaths } from '../src/page-paths.js'
import { DEFAULT_BRANDING as NO_HOST_BRANDING, type PageBranding } from '../src/embed/page-options.js'

/** Served when the host set CSS variables, after the pages' own stylesheet. */
export const BRANDING_STYLESHEET_PATH = '/web/brand.css'

export interface Branding {
  /** The server's name, in the top bar, titles and the front door. */
  name: string
  /** A sentence or two about the server, for the front door. */
  description: string
  /** An image shown before the name, when a host sets one. */
  logoUrl?: string
  /** Where the name in the top bar leads a visitor who is not signed in. */
  home: string
  /** Whether `/` is Hearth's front door (off: a host app keeps its own `/`). */
  frontPage: boolean
  /** The host's CSS custom properties, served as BRANDING_STYLESHEET_PATH. */
  cssVariables: [string, string][]
  /** Where the pages live (the prefix a host or HEARTH_PAGES_PREFIX chose). */
  paths: PagePaths
}

const DEFAULT_BRANDING: Branding = { name: 'Hearth', description: '', home: '/sign-in', frontPage: false, cssVariables: [], paths: new PagePaths() }
const BRANDING_KEY = 'hearthBranding'

export const BrandingContext = createContext<Branding>(DEFAULT_BRANDING)

/** The branding of the page being rendered. */
export const useBranding = (): Branding => useContext(BrandingContext)

/**
 * A page path (`/account`) as the browser must ask for it, under the pages'
 * prefix; for links, form actions and assets inside any page component.
 *
 * @example
 * <a href={pagePath('/account/settings')}>Settings</a>
 */
export const pagePath = (path: string): string => useBranding().paths.to(path)

/** What the operator configured (HEARTH_SERVER_NAME, …), with what a host app that mounts Hearth set (`pages` of createPds) on top. */
export function brandingFrom(
  config: Pick<Config, 'serverName' | 'serverDescription' | 'frontPage'> & Partial<Pick<Config, 'pagesPrefix'>>,
  host: PageBranding = NO_HOST_BRANDING,
): Branding {
  const frontPage = config.frontPage && host.frontPage
  const paths = new PagePaths(config.pagesPrefix ?? '')
  return {
    name: host.name ?? (config.serverName || 'Hearth'),
    description: config.serverDescription ?? '',
    ...(host.logoUrl ? { logoUrl: host.logoUrl } : {}),
    home: paths.to(frontPage ? '/' : '/sign-in'),
    frontPage,
    cssVariables: host.cssVariables,
    paths,
  }
}

/** Makes `branding` the one every page of this request renders with. */
export function brandingMiddleware(branding: Branding): MiddlewareHandler {
  return async (c, next) => {
    c.set(BRANDING_KEY as never, branding as never)
    await next()
  }
}

export function brandingOf(c: Context): Branding {
  return (c.get(BRANDING_KEY as never) as Branding | undefined) ?? DEFAULT_BRANDING
}

/** `page`, rendered with `branding` as what useBranding() answers. */
export function withBranding(branding: Branding, page: Child): string | Promise<string> {
  return (<BrandingContext.Provider value={branding}>{page}</BrandingContext.Provider>).toString()
}

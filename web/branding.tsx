/**
 * The host's branding on every page (src/embed/page-options.ts): webRoutes
 * puts it on each request, sendPage hands it to the page as JSX context, and
 * the Layout reads it. A page never needs to pass it along.
 *
 * @example
 * const { name, logoUrl } = useBranding()
 */
import type { Context } from 'hono'
import { createContext, useContext } from 'hono/jsx'
import { DEFAULT_BRANDING, type PageBranding } from '../src/embed/page-options.js'

/** Served when the host set CSS variables, after the pages' own stylesheet. */
export const BRANDING_STYLESHEET_PATH = '/web/brand.css'

const BrandingContext = createContext<PageBranding>(DEFAULT_BRANDING)
const KEY = 'hearthBranding'

export const BrandingProvider = BrandingContext.Provider

export function setBranding(c: Context, branding: PageBranding): void {
  c.set(KEY as never, branding as never)
}

export function brandingOf(c: Context): PageBranding {
  return (c.get(KEY as never) as PageBranding | undefined) ?? DEFAULT_BRANDING
}

export function useBranding(): PageBranding {
  return useContext(BrandingContext)
}

/**
 * The frame of every page: head, stylesheet and script, and a top bar with
 * the server's name (from branding.tsx), the signed-in person's page links
 * (behind a Menu button on a phone) and a sign-out button.
 */
import type { Child, FC } from 'hono/jsx'
import { raw } from 'hono/html'
import { CSRF_FIELD, type SignedIn } from '../src/auth/web-session.js'
import { BRANDING_STYLESHEET_PATH, useBranding, pagePath } from './branding.js'

export const STYLESHEET_PATH = '/web/style.css'
export const SCRIPT_PATH = '/web/pages.js'

/** The hidden field every state-changing form carries. */
export const CsrfField: FC<{ token: string }> = ({ token }) => <input type="hidden" name={CSRF_FIELD} value={token} />

/** The signed-in person's pages, in menu order. Other pages (issue by issue) add theirs here. */
export const NAV_LINKS: { href: string; label: string }[] = [
  { href: '/account', label: 'Account' },
  { href: '/account/data', label: 'Data' },
  { href: '/account/scopes', label: 'Scopes' },
  { href: '/account/apps', label: 'Apps' },
  { href: '/account/connected-apps', label: 'Connected apps' },
  { href: '/account/activity', label: 'Activity' },
  { href: '/account/app-passwords', label: 'App passwords' },
  { href: '/account/handle', label: 'Handle' },
  { href: '/account/sessions', label: 'Sessions' },
  { href: '/account/settings', label: 'Settings' },
  { href: '/account/move', label: 'Move' },
]

const Brand: FC<{ signedIn: boolean }> = ({ signedIn }) => {
  const { name, logoUrl, home } = useBranding()
  return (
    <a class="brand" href={signedIn ? pagePath('/account') : home}>
      {logoUrl ? <img src={logoUrl} alt="" width={24} height={24} /> : null}
      {name}
    </a>
  )
}

/** The host's CSS variables, when it set any (a stylesheet: the pages' CSP allows no inline style). */
const BrandStylesheet: FC = () => (useBranding().cssVariables.length > 0 ? <link rel="stylesheet" href={pagePath(BRANDING_STYLESHEET_PATH)} /> : null)

const Title: FC<{ title: string }> = ({ title }) => {
  const { name } = useBranding()
  return <title>{title === name ? name : `${title} · ${name}`}</title>
}

export const Layout: FC<{ title: string; me?: SignedIn | null; csrf?: string; children?: Child }> = ({ title, me, csrf, children }) => (
  <>
    {raw('<!DOCTYPE html>')}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Title title={title} />
        <link rel="stylesheet" href={pagePath(STYLESHEET_PATH)} />
        <BrandStylesheet />
        <script src={pagePath(SCRIPT_PATH)} defer></script>
      </head>
      <body>
        <header class="top">
          <Brand signedIn={!!me} />
          {me && csrf ? (
            <>
              <button class="menu-toggle quiet" type="button" aria-expanded="false" aria-controls="site-nav" data-menu-toggle>
                Menu
              </button>
              <nav id="site-nav" aria-label="Your pages">
                <span class="who" data-field="signed-in-as">
                  {me.account.handle}
                </span>
                {NAV_LINKS.map((l) => (
                  <a href={pagePath(l.href)}>{l.label}</a>
                ))}
                <form class="inline" method="post" action={pagePath('/sign-out')}>
                  <CsrfField token={csrf} />
                  <button class="quiet" type="submit">
                    Sign out
                  </button>
                </form>
              </nav>
            </>
          ) : null}
        </header>
        <main>{children}</main>
      </body>
    </html>
  </>
)

/**
 * The frame of every page: head, stylesheet, and a top bar that shows the
 * signed-in person's handle, the page links and a sign-out button.
 */
import type { Child, FC } from 'hono/jsx'
import { raw } from 'hono/html'
import { CSRF_FIELD, type SignedIn } from '../src/auth/web-session.js'

export const STYLESHEET_PATH = '/web/style.css'

/** The hidden field every state-changing form carries. */
export const CsrfField: FC<{ token: string }> = ({ token }) => <input type="hidden" name={CSRF_FIELD} value={token} />

export const Layout: FC<{ title: string; me?: SignedIn | null; csrf?: string; children?: Child }> = ({ title, me, csrf, children }) => (
  <>
    {raw('<!DOCTYPE html>')}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · Hearth`}</title>
        <link rel="stylesheet" href={STYLESHEET_PATH} />
      </head>
      <body>
        <header class="top">
          <a class="brand" href={me ? '/account' : '/sign-in'}>
            Hearth
          </a>
          {me && csrf ? (
            <nav>
              <a href="/account">{me.account.handle}</a>
              <a href="/account/app-passwords">App passwords</a>
              <a href="/account/handle">Handle</a>
              <a href="/account/sessions">Sessions</a>
              <a href="/account/scopes">Scopes</a>
              <a href="/account/apps">Apps</a>
              <a href="/account/connected-apps">Connected apps</a>
              <form class="inline" method="post" action="/sign-out">
                <CsrfField token={csrf} />
                <button class="quiet" type="submit">
                  Sign out
                </button>
              </form>
            </nav>
          ) : null}
        </header>
        <main>{children}</main>
      </body>
    </html>
  </>
)

/**
 * The parameter a host app's pages send visitors to sign in with
 * (`/sign-in?return_to=/notes`, see src/embed/host-session.ts), and the check
 * that it is a path on this origin: a full URL, `//host` or `/\host` is
 * dropped, so sign-in can never be turned into a redirect to another site.
 * The sign-in pages carry it across the provider round trip with
 * web/return-path.ts, as they do their own `?next=`.
 *
 * @example
 * const back = safeReturnPath(c.req.query(RETURN_TO_PARAM))
 */
export const RETURN_TO_PARAM = 'return_to'

/** `value` if it is a path on this origin (with its query), else null. */
export function safeReturnPath(value: string | undefined): string | null {
  if (!value || value.length > 2000) return null
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return null
  if (/[\u0000-\u001f\u007f]/.test(value)) return null
  // Parsing against a placeholder origin must keep it on that origin.
  const url = new URL(value, 'http://hearth.invalid')
  if (url.origin !== 'http://hearth.invalid') return null
  return url.pathname + url.search + url.hash
}

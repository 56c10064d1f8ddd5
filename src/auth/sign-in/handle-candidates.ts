/**
 * Handles for a first sign-in, derived from the provider's user name:
 * `octocat` → `octocat.<domain>`, then `octocat-2.<domain>`, `octocat-3.<domain>` …
 * The front label keeps to what this server accepts for its own handles:
 * lower-case letters, digits and single inner hyphens, 3 to 18 characters.
 *
 * @example
 * [...handleCandidates('Octo_Cat', '.test', 3)] // ['octo-cat.test', 'octo-cat-2.test', 'octo-cat-3.test']
 */

const MIN = 3
const MAX = 18

/** The front label a provider user name (or email address) turns into. */
export function handleLabel(username: string): string {
  const local = username.includes('@') ? username.slice(0, username.indexOf('@')) : username
  let label = local
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // é → e
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
  label = trimTo(label, MAX)
  if (label.length < MIN) label = label ? `${label}-user` : 'user'
  return label
}

/** Candidate handles in the order they are tried; `domain` starts with a dot. */
export function* handleCandidates(username: string, domain: string, count = 50): Generator<string> {
  const label = handleLabel(username)
  yield label + domain
  for (let n = 2; n <= count; n++) {
    const suffix = `-${n}`
    yield trimTo(label, MAX - suffix.length) + suffix + domain
  }
}

function trimTo(label: string, max: number): string {
  return label.slice(0, max).replace(/-+$/, '')
}

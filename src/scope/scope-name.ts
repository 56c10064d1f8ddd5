/**
 * Scope names: `source.category[.subcategory]`, two or three segments, each
 * `[a-z][a-z0-9_]*` (`instagram.profile`, `chatgpt.conversations.shared`).
 * Checked wherever a name comes in (ingest, reads, grants, requests, the
 * control socket), so a bad name is a 400 before anything is looked up.
 *
 * @example
 * ensureValidScopeName('instagram.profile') // ok
 * isValidScopeName('Instagram')             // false
 */
import { HearthError } from '../errors/hearth-error.js'

/** Longest accepted name; MST keys are `<scope>/<rkey>` and must stay well under 1024 bytes. */
export const MAX_SCOPE_NAME_LENGTH = 128

const SCOPE_NAME = /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$/

export function isValidScopeName(name: unknown): name is string {
  return typeof name === 'string' && name.length <= MAX_SCOPE_NAME_LENGTH && SCOPE_NAME.test(name)
}

/** Throws 400 InvalidScope, saying what a name must look like. */
export function ensureValidScopeName(name: unknown, field = 'scope'): string {
  if (isValidScopeName(name)) return name
  const shown = typeof name === 'string' ? `"${name.slice(0, 80)}"` : typeof name
  throw new HearthError('invalid', 'InvalidScope', `${field} ${shown} is not a scope name: use source.category or source.category.subcategory, each part a lowercase letter then lowercase letters, digits or _ (at most ${MAX_SCOPE_NAME_LENGTH} characters)`,
  )
}

/** A list of scope names, each valid, without repeats (order kept). */
export function ensureValidScopeList(names: unknown, field = 'scopes'): string[] {
  if (!Array.isArray(names) || names.length === 0) throw new HearthError('invalid', 'InvalidScope', `${field} must list at least one scope`)
  const out: string[] = []
  names.forEach((n, i) => {
    const name = ensureValidScopeName(n, `${field}[${i}]`)
    if (!out.includes(name)) out.push(name)
  })
  return out
}

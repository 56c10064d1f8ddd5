/**
 * The wiring object behind a Pds, for Hearth's own tests only. It is not
 * part of the public face: its shape changes with every refactor, and a
 * host that needs something from it should ask for a method on Pds.
 *
 * @example
 * const ctx = pdsContext(pds) // in a test
 */
import type { AppContext } from '../context.js'

const contexts = new WeakMap<object, AppContext>()

export function rememberContext(pds: object, ctx: AppContext): void {
  contexts.set(pds, ctx)
}

export function pdsContext(pds: object): AppContext {
  const ctx = contexts.get(pds)
  if (!ctx) throw new Error('not a Pds made by createPds')
  return ctx
}

/**
 * DID documents of this server's accounts, read from the PLC directory
 * through @atproto/identity's resolver (which caches them).
 */
import type { AppContext } from '../context.js'

export async function didDocFor(ctx: AppContext, did: string, fresh = false): Promise<Record<string, unknown> | undefined> {
  try {
    const doc = await ctx.idResolver.did.resolve(did, fresh)
    return (doc as Record<string, unknown> | null) ?? undefined
  } catch (err) {
    ctx.logger.warn({ did, err: (err as Error).message }, 'could not resolve DID document')
    return undefined
  }
}

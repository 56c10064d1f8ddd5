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

/**
 * The DID document a session answer carries. Clients (@atproto/api) send
 * their next calls to the PDS the document names, so an account still
 * moving in, whose document names its old server, gets none: its client
 * stays here for importRepo and the rest.
 */
export async function didDocForSession(ctx: AppContext, account: { did: string; status: string }, fresh = false): Promise<Record<string, unknown> | undefined> {
  const doc = await didDocFor(ctx, account.did, fresh)
  if (account.status !== 'deactivated' || !doc) return doc
  const services = Array.isArray(doc.service) ? (doc.service as { id?: string; serviceEndpoint?: unknown }[]) : []
  const pds = services.find((s) => s.id === '#atproto_pds' || s.id === `${account.did}#atproto_pds`)
  return pds?.serviceEndpoint === ctx.config.publicUrl ? doc : undefined
}

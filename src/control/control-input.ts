/**
 * Reading control requests: JSON bodies and the account a path names.
 * Mistakes become HearthErrors (the socket answers 400/404) with a message saying what to fix.
 */
import type { Context } from 'hono'
import type { AppContext } from '../context.js'
import type { Account } from '../account/account-store.js'
import { AccountNotFound, invalidRequest } from '../errors/hearth-error.js'
import { readLimited } from '../xrpc/xrpc-router.js'

/** The JSON object in the body; `{}` for an empty body. */
export async function jsonBody(c: Context, limit: number): Promise<Record<string, unknown>> {
  const raw = await readLimited(c.req.raw, limit)
  if (raw.length === 0) return {}
  let body: unknown
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw))
  } catch {
    throw invalidRequest('Body is not valid JSON')
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalidRequest('Body must be a JSON object')
  return body as Record<string, unknown>
}

/** The account named by a DID, handle or email; 404 when there is none. */
export function accountNamed(ctx: AppContext, identifier: string | undefined): Account {
  if (!identifier) throw invalidRequest('Name an account by DID, handle or email')
  // Hono has already decoded route parameters: decoding again breaks on a '%'.
  const account = ctx.accounts.lookup(identifier)
  if (!account) throw new AccountNotFound(`No account ${identifier}`, 'not-found')
  return account
}

export function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw invalidRequest(`${name} must be a string`)
  return v
}

export function optionalInt(body: Record<string, unknown>, name: string, min: number, max: number, def: number): number {
  const v = body[name]
  if (v === undefined || v === null) return def
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw invalidRequest(`${name} must be a whole number from ${min} to ${max}`)
  }
  return v
}

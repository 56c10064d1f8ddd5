/**
 * Handle rules: syntax from @atproto/syntax, and for handles under this
 * server's domains, a single front label of 3–18 characters, as on the
 * reference PDS, with a few names kept back.
 */
import { ensureValidHandle, normalizeHandle } from '@atproto/syntax'
import { invalidRequest } from '../errors/hearth-error.js'

const RESERVED = new Set(['admin', 'administrator', 'root', 'support', 'help', 'www', 'api', 'xrpc', 'mod', 'moderator', 'hearth', 'system'])

/** Lower-cases and checks a handle; throws InvalidHandle. */
export function normalizeValidHandle(handle: string): string {
  const h = normalizeHandle(handle)
  try {
    ensureValidHandle(h)
  } catch (err) {
    throw invalidRequest(`Invalid handle: ${(err as Error).message}`, 'InvalidHandle')
  }
  return h
}

/** The domain suffix `handle` sits under, or null when it is outside every one of ours. */
export function serviceDomainOf(handle: string, domains: string[]): string | null {
  return domains.find((d) => handle.endsWith(d)) ?? null
}

/** Checks a handle under one of our domains (a handle made by this server). */
export function assertServiceHandle(handle: string, domains: string[]): void {
  const domain = serviceDomainOf(handle, domains)
  if (!domain) throw invalidRequest(`Handle must end with ${domains.join(' or ')}`, 'UnsupportedDomain')
  const front = handle.slice(0, -domain.length)
  if (front.includes('.')) throw invalidRequest('Handle must be a single label before the domain', 'InvalidHandle')
  if (front.length < 3) throw invalidRequest('Handle too short (3 characters at least)', 'InvalidHandle')
  if (front.length > 18) throw invalidRequest('Handle too long (18 characters at most)', 'InvalidHandle')
  if (RESERVED.has(front)) throw invalidRequest(`Handle "${front}" is reserved`, 'HandleNotAvailable')
}

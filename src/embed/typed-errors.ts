/**
 * What the in-process API throws: every refusal as a HearthError, and the
 * common names as their own classes, whichever layer raised them (an XRPC
 * handler's `XrpcError(400, 'InvalidSwap')` reaches the host as an
 * `InvalidSwap`), so a host can write `err instanceof InvalidRecord`.
 *
 * @example
 * try { await pds.repo.createRecord(did, note) } catch (err) { if (err instanceof InvalidRecord) … }
 */
import {
  AccountNotFound,
  BlobNotFound,
  HearthError,
  InvalidRecord,
  InvalidRequest,
  InvalidSwap,
  RateLimitExceeded,
  RecordNotFound,
  RepoNotFound,
  type NotFoundKind,
} from '../errors/hearth-error.js'

const TYPED = new Map<string, new (message: string, kind?: NotFoundKind) => HearthError>([
  ['InvalidRequest', InvalidRequest],
  ['InvalidRecord', InvalidRecord],
  ['InvalidSwap', InvalidSwap],
  ['RepoNotFound', RepoNotFound],
  ['RecordNotFound', RecordNotFound],
  ['AccountNotFound', AccountNotFound],
  ['BlobNotFound', BlobNotFound],
])

/** `err` as the host should see it. Anything that is not a HearthError is a bug, passed on unchanged. */
export function typedError(err: unknown): unknown {
  if (!(err instanceof HearthError) || err instanceof RateLimitExceeded) return err
  const Typed = TYPED.get(err.error)
  if (!Typed || Object.getPrototypeOf(err) === Typed.prototype) return err
  // The kind goes along: a 'not-found' (404 on Hearth's own methods) stays one.
  const typed = new Typed(err.message, err.kind === 'not-found' ? 'not-found' : 'invalid')
  typed.stack = (err as Error).stack
  return typed
}

/** Runs `fn`, rethrowing its refusals as typed errors. */
export async function withTypedErrors<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw typedError(err)
  }
}

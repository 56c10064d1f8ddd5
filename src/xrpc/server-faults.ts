/**
 * Faults of the server, not of the caller, that still deserve a clear answer
 * rather than a bare 500: a full disk or database (`SQLITE_FULL`, `ENOSPC`,
 * `EDQUOT`) is 507 `StorageFull`. SQLite rolls the transaction back, so
 * nothing half-written stays behind; the client may retry once an operator
 * has made room.
 *
 * @example
 * const fault = serverFault(err)   // XrpcError(507, 'StorageFull', …) or null
 */
import { XrpcError } from './xrpc-error.js'
import { MAX_ERROR_MESSAGE } from '../errors/hearth-error.js'

const FULL_CODES = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT'])

export function serverFault(err: unknown): XrpcError | null {
  if (isStorageFull(err)) {
    return new XrpcError(507, 'StorageFull', 'The server is out of storage space; nothing was written. Try again later.')
  }
  return null
}

function isStorageFull(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 4) return false
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string' && FULL_CODES.has(code)) return true
  return isStorageFull((err as { cause?: unknown }).cause, depth + 1)
}

/** Longest error message sent back; a caller's input echoed in one is cut to fit (one number for every edge). */
export { MAX_ERROR_MESSAGE }

/** Cuts a message that echoes a long input (a 14 KB cursor, a whole path) down to MAX_ERROR_MESSAGE characters. */
export function cutMessage(message: string): string {
  return message.length <= MAX_ERROR_MESSAGE ? message : `${message.slice(0, MAX_ERROR_MESSAGE - 1)}…`
}

/**
 * Errors at the XRPC edge. Services throw the neutral `HearthError`
 * (src/errors/); the router turns any of them into `{ error, message }` with
 * the status `xrpcStatus` picks, and anything else thrown is a server bug
 * (a logged 500). `XrpcError` is a HearthError with an explicit status, for
 * what only the edge itself knows (a body too large on the wire, a query sent
 * as POST); nothing outside src/xrpc imports this file (checked by
 * src/errors/edge-imports.test.ts).
 *
 * @example
 * throw new XrpcError(405, 'InvalidRequest', 'use POST')
 * return c.json(err.toJSON(), xrpcStatus(err), xrpcErrorHeaders(err))
 */
import { HearthError, kindOfStatus } from '../errors/hearth-error.js'
import { httpErrorHeaders, httpStatusOf } from '../errors/http-answer.js'

export { HearthError } from '../errors/hearth-error.js'
export { invalidRequest, authRequired, forbidden, notFound } from '../errors/hearth-error.js'

export class XrpcError extends HearthError {
  constructor(
    readonly status: number,
    error: string,
    message: string,
    headers?: Record<string, string>,
  ) {
    super(kindOfStatus(status), error, message, headers)
  }
}

/** The HTTP status an XRPC client gets for this error. */
export function xrpcStatus(err: HearthError): number {
  if (err instanceof XrpcError) return err.status
  return httpStatusOf(err)
}

/** Response headers that go with the error (a rate limit's budget, an OAuth challenge). */
export function xrpcErrorHeaders(err: HearthError): Record<string, string> | undefined {
  return httpErrorHeaders(err)
}

/**
 * The one error type routes and services throw for a client's mistake. The
 * router turns it into `{ error, message }` with its status; anything else
 * thrown is a server bug and becomes a logged 500.
 */
import { cutMessage } from './server-faults.js'

export class XrpcError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message)
    this.name = 'XrpcError'
  }

  toJSON() {
    // Messages may quote what the caller sent: never send a long input back whole.
    return { error: this.error, message: cutMessage(this.message) }
  }
}

export const invalidRequest = (message: string, error = 'InvalidRequest') => new XrpcError(400, error, message)
export const authRequired = (message = 'Authentication required', error = 'AuthenticationRequired') =>
  new XrpcError(401, error, message)
export const forbidden = (message: string, error = 'Forbidden') => new XrpcError(403, error, message)
export const notFound = (message: string, error = 'NotFound') => new XrpcError(404, error, message)

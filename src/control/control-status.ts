/**
 * The control socket's answer to a HearthError: a status for its kind (a
 * missing account or repository is a plain 404 here; the socket speaks to
 * the CLI, not to AT Protocol clients), and a rate limit's budget headers.
 * Both come from the one table every HTTP edge reads (src/errors/http-answer.ts).
 *
 * @example
 * return c.json(err.toJSON(), controlStatus(err), controlErrorHeaders(err))
 */
import type { HearthError } from '../errors/hearth-error.js'
import { httpErrorHeaders, httpStatusOf } from '../errors/http-answer.js'

export function controlStatus(err: HearthError): number {
  return httpStatusOf(err)
}

export function controlErrorHeaders(err: HearthError): Record<string, string> | undefined {
  return httpErrorHeaders(err)
}

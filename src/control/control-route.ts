/**
 * A route of the control socket: what it answers, how it describes itself in
 * `GET /`, and how large a body it takes.
 */
import type { Context } from 'hono'
import type { AppContext } from '../context.js'

export interface ControlRoute {
  method: 'GET' | 'POST' | 'DELETE'
  /** A Hono path pattern, e.g. "/accounts/:account/deactivate". */
  path: string
  /** One line for the operator reading `GET /`. */
  description: string
  /** Largest request body, in bytes (default 64 KiB). */
  maxBodyBytes?: number
  handler: (c: Context, ctx: AppContext) => Response | Promise<Response>
}

/** Keeps the route's types at the definition site. */
export const controlRoute = (route: ControlRoute): ControlRoute => route

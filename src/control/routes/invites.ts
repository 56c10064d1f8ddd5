/**
 * Invite codes (for HEARTH_REGISTRATION=invite): list, create, disable.
 */
import { controlRoute } from '../control-route.js'
import { jsonBody, optionalInt } from '../control-input.js'
import { invalidRequest } from '../../errors/hearth-error.js'

export const inviteRoutes = [
  controlRoute({
    method: 'GET',
    path: '/invites',
    description: 'List invite codes with their uses',
    handler: (c, ctx) => c.json({ codes: ctx.invites.list() }),
  }),
  controlRoute({
    method: 'POST',
    path: '/invites',
    description: 'Create invite codes: { uses?: 1.., count?: 1..100 }',
    async handler(c, ctx) {
      const body = await jsonBody(c, 64 * 1024)
      const uses = optionalInt(body, 'uses', 1, 1_000_000, 1)
      const count = optionalInt(body, 'count', 1, 100, 1)
      const codes = Array.from({ length: count }, () => ctx.invites.create(uses, 'control-socket'))
      return c.json({ codes, uses }, 201)
    },
  }),
  controlRoute({
    method: 'POST',
    path: '/invites/:code/disable',
    description: 'Disable an invite code',
    handler(c, ctx) {
      const code = c.req.param('code')!
      if (!ctx.invites.disable(code)) throw invalidRequest(`No invite code ${code}`, 'InvalidInviteCode')
      return c.json({ code, disabled: true })
    },
  }),
]

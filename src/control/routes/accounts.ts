/**
 * Accounts, for the operator: list, create (whatever the registration
 * policy), show, deactivate, take down, activate, delete.
 */
import { controlRoute } from '../control-route.js'
import { accountNamed, jsonBody, optionalString } from '../control-input.js'
import type { Account } from '../../account/account-store.js'
import { invalidRequest } from '../../errors/hearth-error.js'
import { AccountRemoval } from '../../ops/account-removal.js'
import { didDocFor } from '../../identity/did-documents.js'

const view = (a: Account) => ({ did: a.did, handle: a.handle, email: a.email, status: a.status, createdAt: a.createdAt })

/** A route that moves an account to `status` (no event when it is there already). */
function statusRoute(path: string, status: 'active' | 'deactivated' | 'takendown', description: string) {
  return controlRoute({
    method: 'POST',
    path,
    description,
    handler(c, ctx) {
      const account = accountNamed(ctx, c.req.param('account'))
      if (account.status !== status) ctx.accountService.setStatus(account.did, status)
      return c.json(view(ctx.accounts.get(account.did)!))
    },
  })
}

export const accountRoutes = [
  controlRoute({
    method: 'GET',
    path: '/accounts',
    description: 'List accounts in DID order (?limit=1..1000, ?cursor=<last DID>)',
    handler(c, ctx) {
      const limit = Number(c.req.query('limit') ?? 100)
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalidRequest('limit must be a whole number from 1 to 1000')
      const accounts = ctx.accounts.list(limit, c.req.query('cursor') || undefined)
      return c.json({
        accounts: accounts.map(view),
        ...(accounts.length === limit ? { cursor: accounts[accounts.length - 1].did } : {}),
      })
    },
  }),
  controlRoute({
    method: 'POST',
    path: '/accounts',
    description: 'Create an account: { handle, email?, password? } (no invite code needed)',
    async handler(c, ctx) {
      const body = await jsonBody(c, 64 * 1024)
      const handle = optionalString(body, 'handle')
      if (!handle) throw invalidRequest('handle is required')
      const account = await ctx.accountService.create(
        { handle, email: optionalString(body, 'email'), password: optionalString(body, 'password') },
        { viaAdmin: true },
      )
      return c.json(view(account), 201)
    },
  }),
  controlRoute({
    method: 'GET',
    path: '/accounts/:account',
    description: 'One account (by DID, handle or email) with its repository head',
    handler(c, ctx) {
      const account = accountNamed(ctx, c.req.param('account'))
      return c.json({ ...view(account), head: ctx.repoReader.head(account.did), collections: ctx.repoReader.collections(account.did) })
    },
  }),
  statusRoute('/accounts/:account/deactivate', 'deactivated', 'Deactivate an account (relays hear #account active=false)'),
  statusRoute('/accounts/:account/takedown', 'takendown', 'Take an account down: its repo is no longer served, its sessions stop (relays hear #account takendown)'),
  controlRoute({
    method: 'POST',
    path: '/accounts/:account/rotate-key',
    description: 'Give an account a new signing key: the DID document names it, the repo is re-signed (#identity, #sync)',
    async handler(c, ctx) {
      const account = accountNamed(ctx, c.req.param('account'))
      const rotated = await ctx.accountService.rotateSigningKey(account.did)
      await didDocFor(ctx, account.did, true)
      return c.json({ ...view(ctx.accounts.get(account.did)!), ...rotated })
    },
  }),
  statusRoute('/accounts/:account/activate', 'active', 'Activate a deactivated or taken-down account'),
  controlRoute({
    method: 'DELETE',
    path: '/accounts/:account',
    description: 'Delete an account and all its data for good (?confirm=<its DID>)',
    async handler(c, ctx) {
      const account = accountNamed(ctx, c.req.param('account'))
      if (c.req.query('confirm') !== account.did) {
        throw invalidRequest(`Deleting is final: repeat the account's DID as ?confirm=${account.did}`)
      }
      await new AccountRemoval(ctx).remove(account.did)
      return c.json({ did: account.did, handle: account.handle, status: 'deleted' })
    },
  }),
]

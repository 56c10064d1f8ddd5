/**
 * The scoped firehose, `dev.hearth.scope.subscribe`: the public firehose's
 * sockets and fan-out, with a different filter. A subscriber is an app,
 * proven by an inter-service JWT (Authorization header, or the `token`
 * parameter for clients that cannot set headers). It gets the #commit
 * events of the scopes it holds grants for, from every account that granted
 * them, and nothing else: no public events, no #identity/#account. The grant
 * is checked as each event is sent (GrantIndex), so a revoke stops events at
 * once, and a grant made while the socket is open starts them. Deletes are
 * ordinary delete ops; a deleted scope's last event reaches the apps that
 * held a grant for it (src/scope/scope-deletions.ts).
 *
 * The first event a connection carries from each grant and scope goes into
 * that grant's read log.
 *
 * @example
 * firehoseSocketServer({ fanout, pingIntervalMs, logger, streams: [scopeStreamRoute(ctx)] })
 */
import type { IncomingMessage } from 'node:http'
import type { AppContext } from '../context.js'
import type { StreamRoute } from '../sequencer/firehose-socket.js'
import type { StoredEvent } from '../sequencer/event-log.js'
import { bearerToken } from '../auth/authorization-header.js'

export const SCOPE_SUBSCRIBE_NSID = 'dev.hearth.scope.subscribe'
export const SCOPE_SUBSCRIBE_PATH = `/xrpc/${SCOPE_SUBSCRIBE_NSID}`

export function scopeStreamRoute(ctx: AppContext): StreamRoute {
  const { serviceJwt, grantIndex, readLog, deletions } = ctx.scopes
  return {
    path: SCOPE_SUBSCRIBE_PATH,
    async subscribeOptions(req: IncomingMessage, params: URLSearchParams) {
      const header = req.headers.authorization
      const token = bearerToken(header) ?? params.get('token')
      const app = (await serviceJwt.verify(token, SCOPE_SUBSCRIBE_NSID)).iss
      const logged = new Set<string>()
      const accepts = (e: StoredEvent) => {
        if (e.scope === '' || e.eventType !== '#commit') return false
        // As on the grant-gated reads: a deactivated or taken-down owner's data goes to no one.
        if (ctx.accounts.get(e.did)?.status !== 'active') return false
        const grantId = grantIndex.grantFor(app, e.did, e.scope)
        // A deleted scope's grant entries are gone; its last event (the delete ops) still goes to the apps that held them.
        if (!grantId) return deletions.noticeFor(app, e.seq)
        const key = `${grantId} ${e.scope}`
        if (!logged.has(key)) {
          logged.add(key)
          readLog.record({ grantId, appDid: app, ownerDid: e.did, scope: e.scope, method: SCOPE_SUBSCRIBE_NSID, detail: `from seq ${e.seq}` })
        }
        return true
      }
      return {
        scopes: () => {
          const deleted = deletions.scopesNoticed(app)
          return deleted.length ? [...new Set([...grantIndex.scopeNames(app), ...deleted])] : grantIndex.scopeNames(app)
        },
        accepts,
        // One ingest batch is one frame: let a whole batch through before calling the reader slow.
        maxBufferBytes: ctx.config.firehoseMaxBufferBytes + ctx.config.maxIngestBytes,
      }
    },
  }
}

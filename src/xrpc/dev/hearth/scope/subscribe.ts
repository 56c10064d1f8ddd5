/**
 * dev.hearth.scope.subscribe over plain HTTP: it is a WebSocket (served by
 * the firehose's sockets, see src/scope/scope-stream.ts), so a GET without
 * an upgrade is told so.
 */
import { xrpcMethod } from '../../../xrpc-router.js'
import { XrpcError } from '../../../xrpc-error.js'

export default xrpcMethod({
  nsid: 'dev.hearth.scope.subscribe',
  auth: 'none',
  handler() {
    throw new XrpcError(426, 'InvalidRequest', 'dev.hearth.scope.subscribe is a WebSocket: connect with Upgrade: websocket')
  },
})

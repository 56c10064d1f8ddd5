import { xrpcMethod } from '../../../xrpc-router.js'

export default xrpcMethod({
  nsid: 'com.atproto.server.describeServer',
  auth: 'none',
  handler({ ctx }) {
    return {
      did: ctx.config.serviceDid,
      availableUserDomains: ctx.config.handleDomains,
      inviteCodeRequired: ctx.config.registration === 'invite',
      phoneVerificationRequired: false,
      links: {},
    }
  },
})

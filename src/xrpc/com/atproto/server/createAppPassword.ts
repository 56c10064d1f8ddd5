import type { ComAtprotoServerCreateAppPassword } from '@atproto/api'
import { xrpcMethod } from '../../../xrpc-router.js'
import { invalidRequest } from '../../../xrpc-error.js'
import { DuplicateAppPasswordError } from '../../../../account/app-passwords.js'

export default xrpcMethod<unknown, ComAtprotoServerCreateAppPassword.InputSchema>({
  nsid: 'com.atproto.server.createAppPassword',
  auth: 'accessFull',
  async handler({ input, auth, ctx }) {
    const name = input.name.trim()
    if (!name || name.length > 64) throw invalidRequest('App password name must be 1 to 64 characters')
    try {
      // The id stays inside Hearth: the lexicon's answer has no such field.
      const { id: _id, ...created } = await ctx.appPasswords.create(auth!.did, name, input.privileged ?? false)
      return created
    } catch (err) {
      if (err instanceof DuplicateAppPasswordError) throw invalidRequest(err.message, 'DuplicateName')
      throw err
    }
  },
})

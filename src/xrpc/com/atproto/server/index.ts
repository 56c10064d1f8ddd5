import createAccount from './createAccount.js'
import describeServer from './describeServer.js'
import createSession from './createSession.js'
import refreshSession from './refreshSession.js'
import getSession from './getSession.js'
import deleteSession from './deleteSession.js'
import createAppPassword from './createAppPassword.js'
import listAppPasswords from './listAppPasswords.js'
import revokeAppPassword from './revokeAppPassword.js'
import activateAccount from './activateAccount.js'
import deactivateAccount from './deactivateAccount.js'
import getServiceAuth from './getServiceAuth.js'
import getAccountInviteCodes from './getAccountInviteCodes.js'

export const serverMethods = [
  createAccount,
  describeServer,
  createSession,
  refreshSession,
  getSession,
  deleteSession,
  createAppPassword,
  listAppPasswords,
  revokeAppPassword,
  activateAccount,
  deactivateAccount,
  getServiceAuth,
  getAccountInviteCodes,
]

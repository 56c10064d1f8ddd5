import resolveHandle from './resolveHandle.js'
import updateHandle from './updateHandle.js'
import resolveDid from './resolveDid.js'
import resolveIdentity from './resolveIdentity.js'
import refreshIdentity from './refreshIdentity.js'

import getRecommendedDidCredentials from './getRecommendedDidCredentials.js'
import submitPlcOperation from './submitPlcOperation.js'
import requestPlcOperationSignature from './requestPlcOperationSignature.js'
import signPlcOperation from './signPlcOperation.js'

export const identityMethods = [
  resolveHandle,
  updateHandle,
  getRecommendedDidCredentials,
  submitPlcOperation,
  requestPlcOperationSignature,
  signPlcOperation,
  resolveDid,
  resolveIdentity,
  refreshIdentity,
]

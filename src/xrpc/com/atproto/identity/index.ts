import resolveHandle from './resolveHandle.js'
import updateHandle from './updateHandle.js'
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
]

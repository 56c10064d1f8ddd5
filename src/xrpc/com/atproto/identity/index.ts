import resolveHandle from './resolveHandle.js'
import updateHandle from './updateHandle.js'
import resolveDid from './resolveDid.js'
import resolveIdentity from './resolveIdentity.js'
import refreshIdentity from './refreshIdentity.js'

export const identityMethods = [resolveHandle, updateHandle, resolveDid, resolveIdentity, refreshIdentity]

import resolveHandle from './resolveHandle.js'
import updateHandle from './updateHandle.js'

export const identityMethods = [resolveHandle, updateHandle]

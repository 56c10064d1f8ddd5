import getProfile from './getProfile.js'
import getPreferences from './getPreferences.js'
import putPreferences from './putPreferences.js'

export const actorMethods = [getPreferences, putPreferences, getProfile]

/**
 * `hearth/client`: what an app needs to read a person's Hearth scopes.
 *
 * @example
 * import { HearthAppClient, devIdentity, NotGranted } from 'hearth/client'
 * const identity = await devIdentity({ plcUrl, name: 'notes', file: '.identity.json' })
 * const client = new HearthAppClient({ pds, identity, plcUrl })
 * const ask = await client.requestAccess({ owner: 'alice.test', scopes: ['instagram.profile'], reason: 'Shows your profile' })
 * // send the person to ask.approveUrl, then:
 * await ask.wait()
 * const profile = await client.getRecord('alice.test', 'instagram.profile', 'self')
 * client.follow(['instagram.profile'], { onRecord: (r) => console.log(r.data) })
 */
export { HearthAppClient, type HearthAppClientOptions, type ScopeRecord, type AccessRequest, type AccessDecision } from './hearth-app-client.js'
export { type Follow, type FollowOptions, type FollowedRecord, type FollowedDelete } from './scope-follower.js'
export { devIdentity, fromPrivateKey, type AppIdentity } from './app-identity.js'
export { serviceToken, type TokenSigner } from './service-token.js'
export { HearthError, NotGranted, Revoked, VerificationFailed } from './errors.js'

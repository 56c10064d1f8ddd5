import { describe, expect, it } from 'vitest'
import type { LexiconPermissionSet } from '@atproto/oauth-scopes'
import { permissionSetProblem } from './remote-permission-sets.js'

const setOf = (...permissions: unknown[]) => ({ type: 'permission-set', permissions }) as unknown as LexiconPermissionSet
const repo = (...collection: string[]) => ({ type: 'permission', resource: 'repo', collection })
const rpc = (lxm: string[], extra: Record<string, unknown> = {}) => ({ type: 'permission', resource: 'rpc', lxm, ...extra })

describe('permissionSetProblem', () => {
  it('accepts repo and rpc permissions under the set’s own group', () => {
    expect(permissionSetProblem('com.example.authFull', setOf(repo('com.example.note', 'com.example.sub.thing'), rpc(['com.example.getNotes'], { inheritAud: true }), rpc(['com.example.x'], { aud: '*' })))).toBeNull()
  })

  it('refuses NSIDs outside the group, wildcards, other resources, own audiences and empty sets', () => {
    expect(permissionSetProblem('com.example.authFull', setOf(repo('com.examplex.note')))).toMatch(/outside its own namespace/)
    expect(permissionSetProblem('com.example.authFull', setOf(repo('*')))).toMatch(/outside/)
    expect(permissionSetProblem('com.example.authFull', setOf(rpc(['app.bsky.feed.getTimeline'])))).toMatch(/app\.bsky\.feed\.getTimeline/)
    expect(permissionSetProblem('com.example.authFull', setOf({ type: 'permission', resource: 'account', attr: 'email' }))).toMatch(/only repo and rpc/)
    expect(permissionSetProblem('com.example.authFull', setOf({ type: 'permission', resource: 'blob', accept: ['*/*'] }))).toMatch(/only repo and rpc/)
    expect(permissionSetProblem('com.example.authFull', setOf(rpc(['com.example.getNotes'], { aud: 'did:web:evil.example#svc' })))).toMatch(/audience/)
    expect(permissionSetProblem('com.example.authFull', setOf())).toMatch(/no permissions/)
  })
})

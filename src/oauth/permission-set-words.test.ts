import { describe, expect, it } from 'vitest'
import type { LexiconPermissionSet } from '@atproto/oauth-scopes'
import { acceptedLanguages, permissionSetWords } from './permission-set-words.js'

const set = {
  type: 'permission-set',
  title: 'Write your notes',
  'title:lang': { de: 'Deine Notizen schreiben', 'pt-BR': 'Escrever suas notas', constructor: 42 },
  detail: 'Create notes.',
  'detail:lang': { de: 'Notizen anlegen.' },
  permissions: [],
} as unknown as LexiconPermissionSet

describe('permissionSetWords', () => {
  it('takes the first language the set has, exact tag then primary language, else the default', () => {
    expect(permissionSetWords(set, ['de-AT', 'en'])).toEqual({ title: 'Deine Notizen schreiben', detail: 'Notizen anlegen.' })
    expect(permissionSetWords(set, ['pt-BR'])).toEqual({ title: 'Escrever suas notas', detail: 'Create notes.' })
    expect(permissionSetWords(set, ['fr', 'en'])).toEqual({ title: 'Write your notes', detail: 'Create notes.' })
    expect(permissionSetWords(set, ['constructor'])).toEqual({ title: 'Write your notes', detail: 'Create notes.' })
    expect(permissionSetWords({ permissions: [] } as unknown as LexiconPermissionSet, ['en'])).toEqual({})
  })

  it('reads Accept-Language by quality', () => {
    expect(acceptedLanguages('en;q=0.5, de-AT, fr;q=0, pt-BR;q=0.8')).toEqual(['de-AT', 'pt-BR', 'en'])
    expect(acceptedLanguages(undefined)).toEqual([])
  })
})

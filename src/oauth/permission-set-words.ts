/**
 * A permission set's words for the person, in their language where the
 * set has it: the lexicon's `title` / `detail` are the defaults, and
 * `title:lang` / `detail:lang` map language tags to translations. The
 * reader's languages (from Accept-Language, best first) are tried in
 * order, each exact (`pt-BR`) and then by its primary language (`pt`),
 * then the default. Lookups go through own-property checks: the maps come
 * from strangers' lexicons.
 *
 * @example
 * permissionSetWords(set, ['de-AT', 'en']) // { title: 'Deine Notizen', detail: '…' }
 */
import type { LexiconPermissionSet } from '@atproto/oauth-scopes'

export interface SetWords {
  title?: string
  detail?: string
}

const MAX_TITLE = 200
const MAX_DETAIL = 1000

export function permissionSetWords(set: LexiconPermissionSet, languages: readonly string[]): SetWords {
  const raw = set as unknown as Record<string, unknown>
  const title = pick(raw.title, raw['title:lang'], languages)
  const detail = pick(raw.detail, raw['detail:lang'], languages)
  return {
    ...(title ? { title: title.slice(0, MAX_TITLE) } : {}),
    ...(detail ? { detail: detail.slice(0, MAX_DETAIL) } : {}),
  }
}

function pick(fallback: unknown, translations: unknown, languages: readonly string[]): string | undefined {
  if (translations && typeof translations === 'object' && !Array.isArray(translations)) {
    const byTag = new Map<string, string>()
    for (const [tag, text] of Object.entries(translations)) if (typeof text === 'string' && text.trim()) byTag.set(tag.toLowerCase(), text)
    for (const lang of languages) {
      const tag = lang.toLowerCase()
      const hit = byTag.get(tag) ?? byTag.get(tag.split('-')[0])
      if (hit) return hit
    }
  }
  return typeof fallback === 'string' && fallback.trim() ? fallback : undefined
}

/** The languages of an Accept-Language header, best first (q=0 dropped; at most 10). */
export function acceptedLanguages(header: string | undefined): string[] {
  if (!header) return []
  return header
    .slice(0, 500)
    .split(',')
    .map((part, i) => {
      const [tag, ...params] = part.trim().split(';')
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)).find(Boolean)
      return { tag: tag.trim(), q: q ? Number(q[1]) : 1, i }
    })
    .filter((l) => /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(l.tag) && l.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i)
    .slice(0, 10)
    .map((l) => l.tag)
}

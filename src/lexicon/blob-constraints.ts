/**
 * Blob limits a lexicon declares (`maxSize`, `accept`), checked against a
 * record. @atproto/lexicon's validator only checks that a blob field holds a
 * blob; without this an image field would take a 1 GB video. The walk
 * follows the schema (objects, refs, unions by $type, arrays) alongside the
 * value, so only fields the lexicon types as blobs are judged.
 */
import { BlobRef, type Lexicons, type LexUserType } from '@atproto/lexicon'

export interface BlobFieldProblem {
  path: string
  message: string
}

export function blobConstraintProblems(lexicons: Lexicons, collection: string, record: unknown): BlobFieldProblem[] {
  const problems: BlobFieldProblem[] = []
  const def = lexicons.getDef(`lex:${collection}`)
  if (def) walk(lexicons, def, record, '$', problems, 0)
  return problems
}

type AnyDef = LexUserType | { type: string; [k: string]: unknown }

function walk(lex: Lexicons, def: AnyDef, value: unknown, path: string, out: BlobFieldProblem[], depth: number): void {
  if (depth > 32 || value === null || value === undefined) return
  const d = def as Record<string, any>
  switch (d.type) {
    case 'record':
      return walk(lex, d.record, value, path, out, depth + 1)
    case 'object':
      if (typeof value !== 'object') return
      for (const [k, prop] of Object.entries(d.properties ?? {})) {
        walk(lex, prop as AnyDef, (value as Record<string, unknown>)[k], `${path}.${k}`, out, depth + 1)
      }
      return
    case 'ref': {
      const target = lex.getDef(d.ref)
      if (target) walk(lex, target, value, path, out, depth + 1)
      return
    }
    case 'union': {
      const type = (value as { $type?: unknown }).$type
      if (typeof type !== 'string') return
      const uri = type.includes('#') ? `lex:${type}` : `lex:${type}#main`
      const ref = (d.refs as string[]).find((r) => r === uri || (r === `lex:${type}` && !type.includes('#')))
      const target = ref ? lex.getDef(ref) : undefined
      if (target) walk(lex, target, value, path, out, depth + 1)
      return
    }
    case 'array':
      if (Array.isArray(value)) value.forEach((v, i) => walk(lex, d.items, v, `${path}[${i}]`, out, depth + 1))
      return
    case 'blob': {
      if (!(value instanceof BlobRef)) return
      if (typeof d.maxSize === 'number' && value.size > d.maxSize) {
        out.push({ path, message: `${path}: blob is ${value.size} bytes, the lexicon allows at most ${d.maxSize}` })
      }
      if (Array.isArray(d.accept) && !d.accept.some((pattern: string) => mimeMatches(pattern, value.mimeType))) {
        out.push({ path, message: `${path}: blob type ${value.mimeType} is not one of ${d.accept.join(', ')}` })
      }
      return
    }
  }
}

function mimeMatches(pattern: string, mime: string): boolean {
  if (pattern === '*/*') return true
  if (pattern.endsWith('/*')) return mime.startsWith(pattern.slice(0, -1))
  return pattern === mime
}

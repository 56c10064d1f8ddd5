/**
 * Every lexicon the server knows: all com.atproto.* and app.bsky.* documents
 * that ship with @atproto/api, plus Hearth's own JSON files under
 * `lexicons/`. Hearth's files are parsed (checked) before they are added,
 * because `Lexicons.add()` accepts anything.
 */
import fs from 'node:fs'
import path from 'node:path'
import { Lexicons, parseLexiconDoc, type LexiconDoc } from '@atproto/lexicon'
// The lexicon documents only: the whole @atproto/api client would cost ~10 MiB more.
import { schemas } from '@atproto/api/dist/client/lexicons.js'
import { projectPath } from '../project-paths.js'

export const defaultLexiconDir = projectPath('lexicons')

/**
 * Lexicons whose checks build their errors without stack traces. The
 * validator makes an Error for every optional parameter left out and every
 * union branch it tries, and capturing the stack was ~5% of a read's CPU;
 * only the messages are ever shown.
 */
class FastErrorLexicons extends Lexicons {
  override assertValidRecord(lexUri: string, value: unknown) {
    return withoutStacks(() => super.assertValidRecord(lexUri, value))
  }
  override assertValidXrpcParams(lexUri: string, value: unknown) {
    return withoutStacks(() => super.assertValidXrpcParams(lexUri, value))
  }
  override assertValidXrpcInput(lexUri: string, value: unknown) {
    return withoutStacks(() => super.assertValidXrpcInput(lexUri, value))
  }
  override assertValidXrpcOutput(lexUri: string, value: unknown) {
    return withoutStacks(() => super.assertValidXrpcOutput(lexUri, value))
  }
}

function withoutStacks<T>(fn: () => T): T {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return fn()
  } finally {
    Error.stackTraceLimit = limit
  }
}

export function loadLexicons(dir = defaultLexiconDir): Lexicons {
  const docs: LexiconDoc[] = [
    // add() mutates what it is given: never hand it the shared @atproto/api objects.
    ...(schemas as unknown as LexiconDoc[]).map((d) => structuredClone(d)),
    ...readLexiconFiles(dir),
  ]
  return new FastErrorLexicons(docs)
}

function readLexiconFiles(dir: string): LexiconDoc[] {
  if (!fs.existsSync(dir)) return []
  const out: LexiconDoc[] = []
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.json')) continue
    const file = path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name)
    try {
      out.push(parseLexiconDoc(JSON.parse(fs.readFileSync(file, 'utf8'))))
    } catch (err) {
      throw new Error(`invalid lexicon ${file}: ${(err as Error).message}`)
    }
  }
  return out
}

/**
 * Reads the shared AT Protocol interop vectors: HEARTH_INTEROP_DIR, else
 * ../shared/interop beside the checkout, else this machine's /work/shared/interop
 * (where a clone made elsewhere, as CI's is, finds them). Text files hold one case per line; `#` lines and empty
 * lines are skipped, and lines are NOT trimmed: a leading or trailing space is
 * itself an invalid case.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))

const candidates = [process.env.HEARTH_INTEROP_DIR, path.resolve(here, '../../../shared/interop'), '/work/shared/interop']
const found = candidates.find((dir) => dir && fs.existsSync(path.join(dir, 'syntax')))
if (!found) throw new Error(`AT Protocol interop vectors not found (looked in ${candidates.filter(Boolean).join(', ')}): set HEARTH_INTEROP_DIR`)
export const interopDir: string = found

/** The cases of a text vector file, e.g. `lines('syntax/handle_syntax_valid.txt')`. */
export function lines(file: string): string[] {
  const text = fs.readFileSync(path.join(interopDir, file), 'utf8')
  const out = text.split('\n').filter((l) => l.length > 0 && !l.startsWith('#'))
  if (out.length === 0) throw new Error(`no cases in ${file}`)
  return out
}

/** A JSON vector file. */
export function json<T = unknown>(file: string): T {
  return JSON.parse(fs.readFileSync(path.join(interopDir, file), 'utf8')) as T
}

/** A label for a case in a test name: short, with invisible characters shown. */
export function label(s: string): string {
  const shown = JSON.stringify(s)
  return shown.length > 60 ? `${shown.slice(0, 50)}…(${s.length} chars)` : shown
}

/** One case of firehose/commit-proof-fixtures.json: a tree, a commit's adds and deletes, the roots around it and its proof. */
export interface ProofFixture {
  comment: string
  leafValue: string
  keys: string[]
  adds: string[]
  dels: string[]
  rootBeforeCommit: string
  rootAfterCommit: string
  blocksInProof: string[]
}

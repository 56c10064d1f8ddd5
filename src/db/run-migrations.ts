/**
 * Applies the SQL files of `migrations/` in name order, each once, each in
 * its own transaction, and records what was applied. A landed migration is
 * never edited: a change of schema is a new file.
 */
import fs from 'node:fs'
import path from 'node:path'
import { projectPath } from '../project-paths.js'
import type { Db } from './open-database.js'

export const defaultMigrationsDir = projectPath('migrations')

const MIGRATION_NAME = /^\d{4}_[a-z0-9_]+\.sql$/

/**
 * Applies what is not applied yet; returns the names it applied. Throws,
 * naming the file, when a migration fails (that one changes nothing), when a
 * `.sql` file is misnamed (it would be skipped silently), and when the
 * database records a migration this code does not have: a newer Hearth wrote
 * it, and running older code on it could damage it.
 */
export function runMigrations(db: Db, dir = defaultMigrationsDir): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migration (
    name TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
  )`)
  const sqlFiles = fs.readdirSync(dir).filter((f) => f.endsWith('.sql'))
  const misnamed = sqlFiles.filter((f) => !MIGRATION_NAME.test(f))
  if (misnamed.length) throw new Error(`migration files must be named NNNN_lowercase_name.sql: ${misnamed.join(', ')} (in ${dir})`)
  const files = sqlFiles.sort()
  const isApplied = db.prepare('SELECT 1 FROM schema_migration WHERE name = ?').pluck()
  const unknown = (db.prepare('SELECT name FROM schema_migration').pluck().all() as string[]).filter((n) => !files.includes(n))
  if (unknown.length) {
    throw new Error(`the database has migrations this version of Hearth does not know: ${unknown.join(', ')}. Run the newer Hearth that wrote them.`)
  }
  const record = db.prepare('INSERT INTO schema_migration (name, applied_at) VALUES (?, ?)')
  const ran: string[] = []
  for (const file of files) {
    const sql = fs.readFileSync(path.join(dir, file), 'utf8')
    // IMMEDIATE, and checked inside: a second process starting at the same time waits, then skips it.
    const applied = db
      .transaction(() => {
        if (isApplied.get(file)) return false
        try {
          db.exec(sql)
        } catch (err) {
          throw new Error(`migration ${file} failed: ${(err as Error).message}`, { cause: err })
        }
        record.run(file, new Date().toISOString())
        return true
      })
      .immediate()
    if (applied) ran.push(file)
  }
  return ran
}

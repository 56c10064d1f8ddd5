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

export function runMigrations(db: Db, dir = defaultMigrationsDir): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migration (
    name TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
  )`)
  const applied = new Set(
    (db.prepare('SELECT name FROM schema_migration').all() as { name: string }[]).map((r) => r.name),
  )
  const files = fs.readdirSync(dir).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort()
  const ran: string[] = []
  for (const file of files) {
    if (applied.has(file)) continue
    const sql = fs.readFileSync(path.join(dir, file), 'utf8')
    db.transaction(() => {
      db.exec(sql)
      db.prepare('INSERT INTO schema_migration (name, applied_at) VALUES (?, ?)').run(file, new Date().toISOString())
    })()
    ran.push(file)
  }
  return ran
}

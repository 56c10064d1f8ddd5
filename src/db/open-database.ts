/**
 * Opens the server's SQLite database and brings its schema up to date.
 *
 * @example
 * const db = openDatabase(path.join(dataDir, 'hearth.sqlite'), { synchronous: 'NORMAL' })
 */
import Database from 'better-sqlite3'
import fs from 'node:fs'
import { runMigrations } from './run-migrations.js'

export type Db = Database.Database

export function openDatabase(file: string, opts: { synchronous?: 'NORMAL' | 'FULL'; migrationsDir?: string; maxPageCount?: number } = {}): Db {
  const isNew = file !== ':memory:' && !fs.existsSync(file)
  const db = new Database(file)
  if (isNew) fs.chmodSync(file, 0o600)
  // WAL: readers never block the writer. NORMAL sync keeps every committed
  // transaction across a process crash (kill -9); FULL adds power-loss safety.
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`)
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  db.pragma('cache_size = -32000')
  // Deleted rows are overwritten with zeros, not only unlinked: erased scope
  // data must survive nowhere in the file (src/scope/scope-eraser.ts).
  db.pragma('secure_delete = ON')
  runMigrations(db, opts.migrationsDir)
  // Tests only: a database that cannot grow past this many pages, to see a full disk.
  if (opts.maxPageCount) db.pragma(`max_page_count = ${Math.floor(opts.maxPageCount)}`)
  return db
}

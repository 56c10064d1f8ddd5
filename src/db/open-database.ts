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
  immediateTransactions(db)
  runMigrations(db, opts.migrationsDir)
  // Tests only: a database that cannot grow past this many pages, to see a full disk.
  if (opts.maxPageCount) db.pragma(`max_page_count = ${Math.floor(opts.maxPageCount)}`)
  return db
}

/**
 * Makes `db.transaction(fn)()` begin with BEGIN IMMEDIATE (better-sqlite3's
 * default is a deferred BEGIN). A deferred transaction starts as a reader and
 * upgrades at its first write; when the WAL is fully checkpointed it reads
 * the database file alone, so the checkpoint worker may reset the WAL under
 * it (its TRUNCATE pass), and the upgrade then fails at once with
 * SQLITE_BUSY_SNAPSHOT, which no busy timeout retries: a 500 for a write that
 * only had bad timing. Taking the write lock at BEGIN waits on the busy
 * timeout instead. `.deferred` stays available for read-only transactions.
 */
function immediateTransactions(db: Db): void {
  const make = db.transaction.bind(db)
  db.transaction = ((fn: (...args: never[]) => unknown) => {
    const tx = make(fn)
    const run = (...args: never[]) => tx.immediate(...args)
    return Object.assign(run, { default: tx.immediate, deferred: tx.deferred, immediate: tx.immediate, exclusive: tx.exclusive })
  }) as typeof db.transaction
}

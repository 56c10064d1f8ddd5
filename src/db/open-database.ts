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
    let entered = false
    const tx = make((...args: never[]) => {
      entered = true
      return fn(...args)
    })
    const immediate = (...args: never[]) => retryBusyBegin(() => {
      entered = false
      return tx.immediate(...args)
    }, () => entered)
    return Object.assign(immediate, { default: immediate, deferred: tx.deferred, immediate, exclusive: tx.exclusive })
  }) as typeof db.transaction
}

const BEGIN_RETRY_MS = 5000
const sleeper = new Int32Array(new SharedArrayBuffer(4))

/**
 * Runs `begin` again while it fails with SQLITE_BUSY before its body ran.
 * The busy timeout covers the usual wait for the write lock, but under heavy
 * load a BEGIN IMMEDIATE was seen failing with SQLITE_BUSY after ~75 ms,
 * while the checkpoint worker's TRUNCATE pass was resetting the WAL (SQLite
 * answers some wal-index states with BUSY without calling the busy handler).
 * Nothing was written, so trying again is safe; a busy error from inside the
 * body is never retried (the body may have side effects).
 */
export function retryBusyBegin<T>(begin: () => T, bodyRan: () => boolean, budgetMs = BEGIN_RETRY_MS): T {
  const deadline = Date.now() + budgetMs
  for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
    try {
      return begin()
    } catch (err) {
      const code = (err as { code?: unknown }).code
      const busy = typeof code === 'string' && code.startsWith('SQLITE_BUSY')
      if (!busy || bodyRan() || Date.now() >= deadline) throw err
      Atomics.wait(sleeper, 0, 0, pause)
    }
  }
}

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase } from './open-database.js'

let dir: string
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

describe('openDatabase', () => {
  it('a write transaction survives the checkpoint worker resetting the WAL between its read and its write', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-db-'))
    const file = path.join(dir, 'hearth.sqlite')
    const db = openDatabase(file, { migrationsDir: fs.mkdtempSync(path.join(dir, 'm-')) })
    db.pragma('wal_autocheckpoint = 0')
    db.exec('CREATE TABLE t (x INTEGER)')
    for (let i = 0; i < 10; i++) db.prepare('INSERT INTO t VALUES (?)').run(i)
    // Another connection, as the checkpoint worker is: everything copied, so readers read the file alone…
    const worker = new Database(file)
    worker.pragma('busy_timeout = 50')
    worker.pragma('wal_checkpoint(PASSIVE)')
    // …and a TRUNCATE pass lands between a transaction's first read and its first write.
    db.transaction(() => {
      db.prepare('SELECT count(*) AS n FROM t').get()
      worker.pragma('wal_checkpoint(TRUNCATE)')
      db.prepare('INSERT INTO t VALUES (99)').run()
    })()
    expect((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n).toBe(11)
    // A deferred transaction, asked for by name, still is one (and fails in exactly this race).
    worker.pragma('wal_checkpoint(PASSIVE)')
    const deferred = db.transaction(() => {
      db.prepare('SELECT count(*) AS n FROM t').get()
      worker.pragma('wal_checkpoint(TRUNCATE)')
      db.prepare('INSERT INTO t VALUES (100)').run()
    })
    expect(() => deferred.deferred()).toThrow(/SQLITE_BUSY_SNAPSHOT|database is locked/i)
    worker.close()
    db.close()
  })
})

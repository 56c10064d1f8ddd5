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

describe('write transactions and a busy BEGIN', () => {
  it('BEGIN IMMEDIATE answered SQLITE_BUSY is tried again until the lock is free; a busy error from the body is not', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-db-'))
    const file = path.join(dir, 'hearth.sqlite')
    const db = openDatabase(file, { migrationsDir: fs.mkdtempSync(path.join(dir, 'm-')) })
    db.exec('CREATE TABLE t (x INTEGER)')
    // No busy handler at all, so every wait is the retry's own.
    db.pragma('busy_timeout = 0')
    // Another thread holds the write lock for 150 ms.
    const { Worker } = await import('node:worker_threads')
    const driver = (await import('node:module')).createRequire(import.meta.url).resolve('better-sqlite3')
    const holder = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads')
       const db = new (require(workerData.driver))(workerData.file)
       db.exec('BEGIN IMMEDIATE'); db.exec('INSERT INTO t VALUES (1)')
       parentPort.postMessage('locked')
       setTimeout(() => { db.exec('COMMIT'); db.close(); parentPort.postMessage('done') }, 150)`,
      { eval: true, workerData: { file, driver } },
    )
    await new Promise((r) => holder.once('message', r))
    let runs = 0
    db.transaction(() => {
      runs++
      db.prepare('INSERT INTO t VALUES (2)').run()
    })()
    expect(runs).toBe(1)
    expect((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n).toBe(2)
    await new Promise((r) => holder.once('exit', r))
    db.close()
  })

  it('gives up after its budget, and never re-runs a body that failed busy', async () => {
    const { retryBusyBegin } = await import('./open-database.js')
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })
    let tries = 0
    expect(() => retryBusyBegin(() => { tries++; throw busy }, () => false, 30)).toThrow(/locked/)
    expect(tries).toBeGreaterThan(1)
    tries = 0
    expect(() => retryBusyBegin(() => { tries++; throw busy }, () => true)).toThrow(/locked/)
    expect(tries).toBe(1)
    tries = 0
    expect(() => retryBusyBegin(() => { tries++; throw new Error('other') }, () => false)).toThrow(/other/)
    expect(tries).toBe(1)
  })
})

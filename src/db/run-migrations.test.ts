import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { defaultMigrationsDir, runMigrations } from './run-migrations.js'
import { openDatabase } from './open-database.js'

const dirs: string[] = []
afterEach(() => {
  while (dirs.length) fs.rmSync(dirs.pop()!, { recursive: true, force: true })
})

/** A migrations folder holding `files` (name → SQL). */
function migrationsDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-migrations-'))
  dirs.push(dir)
  for (const [name, sql] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), sql)
  return dir
}

const recorded = (db: Database.Database) =>
  (db.prepare('SELECT name FROM schema_migration ORDER BY rowid').all() as { name: string }[]).map((r) => r.name)

describe('runMigrations', () => {
  it('applies the files in name order, each once, records them, and a second run applies nothing', () => {
    const dir = migrationsDir({
      // Each depends on the one before: a wrong order fails.
      '0010_third.sql': 'ALTER TABLE note ADD COLUMN tag TEXT; INSERT INTO log VALUES (3);',
      '0002_second.sql': 'CREATE TABLE log (step INTEGER); INSERT INTO log VALUES (2);',
      '0001_first.sql': 'CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT);',
      'README.md': 'not a migration',
    })
    const db = new Database(':memory:')
    expect(runMigrations(db, dir)).toEqual(['0001_first.sql', '0002_second.sql', '0010_third.sql'])
    expect(recorded(db)).toEqual(['0001_first.sql', '0002_second.sql', '0010_third.sql'])
    expect(db.prepare('SELECT step FROM log ORDER BY rowid').pluck().all()).toEqual([2, 3])
    const appliedAt = db.prepare('SELECT applied_at FROM schema_migration').pluck().all() as string[]
    for (const t of appliedAt) expect(Number.isNaN(Date.parse(t))).toBe(false)

    expect(runMigrations(db, dir)).toEqual([])
    expect(db.prepare('SELECT step FROM log ORDER BY rowid').pluck().all()).toEqual([2, 3])
    db.close()
  })

  it('a new file added later is the only one applied', () => {
    const dir = migrationsDir({ '0001_first.sql': 'CREATE TABLE note (id INTEGER PRIMARY KEY);' })
    const db = new Database(':memory:')
    runMigrations(db, dir)
    fs.writeFileSync(path.join(dir, '0002_second.sql'), 'CREATE TABLE other (id INTEGER);')
    expect(runMigrations(db, dir)).toEqual(['0002_second.sql'])
    expect(recorded(db)).toEqual(['0001_first.sql', '0002_second.sql'])
    db.close()
  })

  it('a failing migration changes nothing and is not recorded; the ones before it stay', () => {
    const dir = migrationsDir({
      '0001_first.sql': 'CREATE TABLE note (id INTEGER PRIMARY KEY);',
      '0002_broken.sql': 'CREATE TABLE half (id INTEGER); INSERT INTO missing_table VALUES (1);',
    })
    const db = new Database(':memory:')
    expect(() => runMigrations(db, dir)).toThrow(/0002_broken\.sql/)
    expect(recorded(db)).toEqual(['0001_first.sql'])
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined()
    db.close()
  })

  it('refuses a database that has migrations this Hearth does not know (a newer version wrote it)', () => {
    const newer = migrationsDir({
      '0001_first.sql': 'CREATE TABLE note (id INTEGER PRIMARY KEY);',
      '0002_later.sql': 'CREATE TABLE later (id INTEGER);',
    })
    const older = migrationsDir({ '0001_first.sql': 'CREATE TABLE note (id INTEGER PRIMARY KEY);' })
    const db = new Database(':memory:')
    runMigrations(db, newer)
    expect(() => runMigrations(db, older)).toThrow(/0002_later\.sql/)
    db.close()
  })

  it('refuses a .sql file whose name does not follow NNNN_name.sql, rather than skipping it', () => {
    const dir = migrationsDir({
      '0001_first.sql': 'CREATE TABLE note (id INTEGER PRIMARY KEY);',
      '0002-Second.sql': 'CREATE TABLE other (id INTEGER);',
    })
    const db = new Database(':memory:')
    expect(() => runMigrations(db, dir)).toThrow(/0002-Second\.sql/)
    db.close()
  })

  it("Hearth's own migrations apply to a new database and are all recorded, through openDatabase", () => {
    const files = fs.readdirSync(defaultMigrationsDir).filter((f) => f.endsWith('.sql')).sort()
    expect(files[0]).toBe('0001_init.sql')
    const db = openDatabase(':memory:')
    expect(recorded(db)).toEqual(files)
    for (const table of ['account', 'repo_block', 'repo_root', 'record', 'repo_seq', 'blob', 'record_blob']) {
      expect(db.prepare('SELECT name FROM sqlite_master WHERE type = ? AND name = ?').get('table', table), table).toBeDefined()
    }
    expect(runMigrations(db)).toEqual([])
    db.close()
  })
})

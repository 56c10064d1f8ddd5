/**
 * What remembering a DPoP proof costs: DpopJtiStore.claim (one INSERT into
 * dpop_jti, WAL, synchronous=NORMAL) on a database file, per call.
 *
 * @example
 * npx tsx scripts/bench-dpop-jti.ts --count 20000
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { openDatabase } from '../src/db/open-database.js'
import { DpopJtiStore } from '../src/oauth/dpop-jti-store.js'

const { values } = parseArgs({ options: { count: { type: 'string', default: '20000' } } })
const count = Number(values.count)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-jti-bench-'))
const db = openDatabase(path.join(dir, 'hearth.sqlite'))
const store = new DpopJtiStore(db)
const jkt = 'x'.repeat(43)
const t0 = performance.now()
for (let i = 0; i < count; i++) store.claim(`${jkt} jti-${i}-${Math.random().toString(36).slice(2)}`, Date.now() + 70_000)
const us = ((performance.now() - t0) * 1000) / count
console.log(`${count} claims, ${us.toFixed(1)} µs per claim (Node ${process.version})`)
db.close()
fs.rmSync(dir, { recursive: true, force: true })

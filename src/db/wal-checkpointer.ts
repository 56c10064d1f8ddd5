/**
 * WAL checkpoints off the request path. With SQLite's automatic checkpoints,
 * every ~1000 pages one unlucky commit copies the WAL into the database and
 * fsyncs it on the main thread: measured here at ~0.75 ms of CPU and ~2 ms of
 * latency per write on average. Instead the main connection turns them off
 * and a worker thread, with its own connection, runs PASSIVE checkpoints
 * (which never block the writer) every `intervalMs`. Should the worker die,
 * the main connection takes checkpoints back (`wal_autocheckpoint` again),
 * so the WAL can never grow without bound.
 *
 * PASSIVE alone does not bound the log: while writes keep coming, a PASSIVE
 * checkpoint never catches up with the newest frame, and SQLite restarts the
 * log from its start only once everything in it is copied. Under steady
 * writes it grew past 1 GB beside a 56 MB database. So when the log file
 * passes `maxWalBytes`, the worker follows its PASSIVE pass (which did
 * nearly all the copying, without blocking anyone) with a TRUNCATE
 * checkpoint: it copies the few frames left, holding writers off for that
 * moment only (a short busy timeout: if readers or a writer are in the way,
 * it gives up and tries on the next tick), and cuts the file to zero.
 * When writes pause and a PASSIVE pass has copied everything, the same
 * TRUNCATE (now with nothing to copy) gives the file's space back.
 * `journal_size_limit` on the main connection trims the file too whenever
 * the log restarts on its own.
 *
 * @example
 * const checkpointer = startWalCheckpointer(db)
 * …
 * await checkpointer.stop()   // before db.close()
 */
import { Worker } from 'node:worker_threads'
import { createRequire } from 'node:module'
import type { Db } from './open-database.js'

export interface WalCheckpointer {
  stop(): Promise<void>
}

// Plain CommonJS so the worker needs no TypeScript loader, whether the server
// runs from src/ (tests) or dist/ (npm start).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const fs = require('node:fs')
const db = new Database(workerData.file)
db.pragma('cache_size = -256')
const walFile = workerData.file + '-wal'
function walBytes() {
  try { return fs.statSync(walFile).size } catch { return 0 }
}
const timer = setInterval(() => {
  // A checkpoint that cannot finish now (busy) is simply tried again next tick.
  try {
    db.pragma('busy_timeout = 5000')
    const [p] = db.pragma('wal_checkpoint(PASSIVE)')
    // Past the bound, or idle with everything copied (then TRUNCATE has nothing to copy and only cuts the file).
    const caughtUp = p && p.log > 0 && p.log === p.checkpointed
    if (walBytes() > workerData.maxWalBytes || caughtUp) {
      db.pragma('busy_timeout = ' + workerData.truncateBusyMs)
      const [r] = db.pragma('wal_checkpoint(TRUNCATE)')
      parentPort.postMessage({ truncated: r && r.busy === 0 })
    }
  } catch {}
}, workerData.intervalMs)
parentPort.on('message', (m) => {
  if (m !== 'stop') return
  clearInterval(timer)
  db.close()
  parentPort.close()
})
`

export interface WalCheckpointerOptions {
  intervalMs?: number
  /** Past this size the log is checkpointed with TRUNCATE (HEARTH_WAL_MAX_BYTES). */
  maxWalBytes?: number
  /** Longest a TRUNCATE checkpoint waits on readers/writers before it gives up for this tick. */
  truncateBusyMs?: number
  /** Called after each TRUNCATE attempt (tests and metrics). */
  onTruncate?: (done: boolean) => void
}

export const DEFAULT_MAX_WAL_BYTES = 64 * 1024 * 1024

export function startWalCheckpointer(db: Db, opts: WalCheckpointerOptions = {}): WalCheckpointer {
  if (db.memory) return { stop: async () => {} }
  const { intervalMs = 1000, maxWalBytes = DEFAULT_MAX_WAL_BYTES, truncateBusyMs = 100 } = opts
  const driver = createRequire(import.meta.url).resolve('better-sqlite3')
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file: db.name, driver, intervalMs, maxWalBytes, truncateBusyMs } })
  worker.unref()
  worker.on('message', (m: { truncated?: boolean }) => opts.onTruncate?.(m.truncated === true))
  db.pragma('wal_autocheckpoint = 0')
  // Whenever the log restarts, its file is cut back to this size rather than kept at its peak.
  db.pragma(`journal_size_limit = ${maxWalBytes}`)
  let stopped = false
  worker.on('error', () => restoreAutoCheckpoint())
  worker.on('exit', () => restoreAutoCheckpoint())
  function restoreAutoCheckpoint() {
    if (!stopped && db.open) db.pragma('wal_autocheckpoint = 1000')
  }
  return {
    async stop() {
      if (stopped) return
      stopped = true
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
      worker.postMessage('stop')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))])
      await worker.terminate()
      if (db.open) db.pragma('wal_autocheckpoint = 1000')
    },
  }
}

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
 * passes `maxWalBytes` the worker follows its PASSIVE pass with a RESTART
 * checkpoint: it copies the few frames left, holding writers off for that
 * moment only (a short busy timeout: if readers or a writer are in the way,
 * it gives up and tries on the next tick), and the next write starts the
 * log again from its beginning, where `journal_size_limit` cuts a file grown
 * past the bound back to it. A pass that copied everything is followed by
 * a RESTART too: the next write would restart the log by itself only if no
 * reader were in the way, and under steady writes it was seen not to (the
 * log passed 1.7 GB).
 *
 * The file is cut to zero (TRUNCATE) only once writes have paused: no new
 * frame since the last tick, and everything copied. Cutting a large file is
 * slow (60-90 ms for a 36-61 MB log here, 350-410 ms for 1.1 GB) and every
 * writer waits for it. Done on every caught-up tick, it gave a 100k-record
 * repository a 60-90 ms createRecord each second (p50 4 ms); with RESTART
 * the waits are shorter (20-60 ms, rarely more). A paused server can spare
 * that moment.
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
// Frames in the log at the previous tick: the same count again, all copied, means writes have paused.
let lastLog = -1
const timer = setInterval(() => {
  // A checkpoint that cannot finish now (busy) is simply tried again next tick.
  try {
    db.pragma('busy_timeout = 5000')
    const [p] = db.pragma('wal_checkpoint(PASSIVE)')
    const caughtUp = p && p.log > 0 && p.log === p.checkpointed
    const paused = caughtUp && p.log === lastLog
    lastLog = p ? p.log : -1
    if (paused) {
      db.pragma('busy_timeout = ' + workerData.truncateBusyMs)
      const [r] = db.pragma('wal_checkpoint(TRUNCATE)')
      parentPort.postMessage({ truncated: r && r.busy === 0 })
      lastLog = -1
    } else if (caughtUp || walBytes() > workerData.maxWalBytes) {
      db.pragma('busy_timeout = ' + workerData.truncateBusyMs)
      db.pragma('wal_checkpoint(RESTART)')
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
  /** Past this size the log is checkpointed with RESTART, and cut back to it (HEARTH_WAL_MAX_BYTES). */
  maxWalBytes?: number
  /** Longest a RESTART or TRUNCATE checkpoint waits on readers/writers before it gives up for this tick. */
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

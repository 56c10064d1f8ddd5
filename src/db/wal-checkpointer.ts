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
const db = new Database(workerData.file)
db.pragma('busy_timeout = 5000')
db.pragma('cache_size = -256')
const timer = setInterval(() => {
  // A checkpoint that cannot finish now (busy) is simply tried again next tick.
  try { db.pragma('wal_checkpoint(PASSIVE)') } catch {}
}, workerData.intervalMs)
parentPort.on('message', (m) => {
  if (m !== 'stop') return
  clearInterval(timer)
  db.close()
  parentPort.close()
})
`

export function startWalCheckpointer(db: Db, intervalMs = 1000): WalCheckpointer {
  if (db.memory) return { stop: async () => {} }
  const driver = createRequire(import.meta.url).resolve('better-sqlite3')
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file: db.name, driver, intervalMs } })
  worker.unref()
  db.pragma('wal_autocheckpoint = 0')
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

/**
 * The embedded PLC directory: the real @did-plc/server, on loopback, for a
 * server started with no HEARTH_PLC_URL (and for tests). Its in-memory
 * database is made durable by appending every accepted operation to
 * `<dir>/operations.jsonl` and replaying the file at start, so DIDs, their
 * documents and their history survive restarts.
 *
 * @example
 * const plc = await startEmbeddedPlc({ dir: path.join(dataDir, 'plc') })
 * console.log(plc.url) // http://127.0.0.1:38211
 * await plc.close()
 */
import fs from 'node:fs'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import type http from 'node:http'
import { Database, PlcServer } from '@did-plc/server'

export interface EmbeddedPlc {
  url: string
  close(): Promise<void>
}

export async function startEmbeddedPlc(opts: { dir?: string; port?: number } = {}): Promise<EmbeddedPlc> {
  const db = Database.mock()
  if (opts.dir) await makeDurable(db, opts.dir)
  const server = PlcServer.create({ db, port: opts.port ?? 0 })
  // PlcServer.start() binds every interface; a directory holding our DIDs'
  // keys history has no business outside this machine, so bind loopback.
  const httpServer: http.Server = await new Promise((resolve, reject) => {
    const s = server.app.listen(opts.port ?? 0, '127.0.0.1', () => resolve(s))
    s.once('error', reject)
  })
  httpServer.keepAliveTimeout = 1000
  const { port } = httpServer.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        httpServer.close(() => resolve())
        httpServer.closeAllConnections()
      }),
  }
}

type MockDb = ReturnType<typeof Database.mock>

interface LoggedOp {
  did: string
  operation: unknown
  /** When the directory first accepted the op (absent in logs written before it was kept). */
  createdAt?: string
}

async function makeDurable(db: MockDb, dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  const file = path.join(dir, 'operations.jsonl')
  const addOp = db.validateAndAddOp.bind(db)
  if (fs.existsSync(file)) {
    dropTornTail(file)
    const replayed: LoggedOp[] = []
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue
      let entry: LoggedOp
      try {
        entry = JSON.parse(line)
      } catch {
        continue
      }
      await addOp(entry.did, entry.operation as never)
      replayed.push(entry)
    }
    restoreCreatedAt(db, replayed)
  }
  const fd = fs.openSync(file, 'a', 0o600)
  db.validateAndAddOp = async (did, proposed) => {
    await addOp(did, proposed)
    const createdAt = db.contents[did]?.at(-1)?.createdAt ?? new Date()
    // Durable before the directory answers 200, so an acknowledged DID is never lost.
    fs.writeSync(fd, JSON.stringify({ did, operation: proposed, createdAt: createdAt.toISOString() }) + '\n')
    fs.fsyncSync(fd)
  }
}

/**
 * Cuts a last line left without its newline by a crash mid-append (that op
 * was never acknowledged). Left in place, the next append would be glued to
 * it and both lines lost at the next start.
 */
function dropTornTail(file: string): void {
  const bytes = fs.readFileSync(file)
  if (bytes.length === 0 || bytes[bytes.length - 1] === 0x0a) return
  fs.truncateSync(file, bytes.lastIndexOf(0x0a) + 1)
}

/**
 * Replay re-validates every op, and the directory stamps each with the time
 * of replay; put back the time it was first accepted, so the audit log (and
 * the 72-hour recovery window it is judged by) does not move on restart.
 * Done after the whole replay: validated against the original times, an old
 * recovery op would now look late.
 */
function restoreCreatedAt(db: MockDb, replayed: LoggedOp[]): void {
  const next = new Map<string, number>()
  for (const entry of replayed) {
    const i = next.get(entry.did) ?? 0
    next.set(entry.did, i + 1)
    const indexed = db.contents[entry.did]?.[i]
    if (indexed && entry.createdAt) indexed.createdAt = new Date(entry.createdAt)
  }
}

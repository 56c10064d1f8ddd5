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

async function makeDurable(db: MockDb, dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  const file = path.join(dir, 'operations.jsonl')
  const addOp = db.validateAndAddOp.bind(db)
  if (fs.existsSync(file)) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue
      let entry: { did: string; operation: unknown }
      try {
        entry = JSON.parse(line)
      } catch {
        continue // a line cut short by a crash mid-append: it was never acknowledged
      }
      await addOp(entry.did, entry.operation as never)
    }
  }
  const fd = fs.openSync(file, 'a', 0o600)
  db.validateAndAddOp = async (did, proposed) => {
    await addOp(did, proposed)
    // Durable before the directory answers 200, so an acknowledged DID is never lost.
    fs.writeSync(fd, JSON.stringify({ did, operation: proposed }) + '\n')
    fs.fsyncSync(fd)
  }
}

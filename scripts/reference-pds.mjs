/**
 * The reference PDS (@atproto/pds, started as @atproto/dev-env's TestPds
 * starts it) on loopback, for side-by-side benchmarks: open registration,
 * its rate limits off (TestPds leaves `rateLimitsEnabled` unset), a temp
 * data folder removed on exit. Prints one JSON line on stdout —
 * `{ url, plcUrl, adminPassword, pid }` — and runs until SIGINT/SIGTERM.
 *
 *   node scripts/reference-pds.mjs                    # with its own PLC directory on loopback
 *   node scripts/reference-pds.mjs --plc http://127.0.0.1:2582 [--port 2583]
 *   npm run bench -- --url <url printed>              # the standard workload against it
 *
 * Plain JavaScript, run by node itself: no TypeScript loader in the process,
 * so its memory figures are the reference's own.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

process.env.LOG_ENABLED ??= 'false'
const { TestPds } = await import('@atproto/dev-env')
const { Database, PlcServer } = await import('@did-plc/server')

const args = process.argv.slice(2)
const arg = (name) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}

let plcUrl = arg('--plc')
let plcServer = null
if (!plcUrl) {
  // Bound to loopback by hand: PlcServer.start() listens on every interface.
  const plc = PlcServer.create({ db: Database.mock(), port: 0 })
  plcServer = await new Promise((resolve, reject) => {
    const s = plc.app.listen(0, '127.0.0.1', () => resolve(s))
    s.once('error', reject)
  })
  plcUrl = `http://127.0.0.1:${plcServer.address().port}`
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'reference-pds-'))
const adminPassword = 'admin-pass'
fs.mkdirSync(path.join(root, 'data'))
fs.mkdirSync(path.join(root, 'blobs'))
const pds = await TestPds.create({
  didPlcUrl: plcUrl,
  // Only when given: TestPds spreads this object over its defaults, so an undefined port would unset the one it picked.
  ...(arg('--port') ? { port: Number(arg('--port')) } : {}),
  inviteRequired: false,
  adminPassword,
  dataDirectory: path.join(root, 'data'),
  blobstoreDiskLocation: path.join(root, 'blobs'),
})

let closing = false
async function close() {
  if (closing) return
  closing = true
  await pds.close().catch(() => {})
  if (plcServer) await new Promise((r) => plcServer.close(r))
  fs.rmSync(root, { recursive: true, force: true, maxRetries: 5 })
  process.exit(0)
}
process.on('SIGINT', close)
process.on('SIGTERM', close)
if (args.includes('--exit-with-stdin')) {
  // Started by a benchmark: should it go away without stopping us, stop too.
  process.stdin.on('end', close)
  process.stdin.resume()
}

console.log(JSON.stringify({ url: pds.url, plcUrl, adminPassword, pid: process.pid }))

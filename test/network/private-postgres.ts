/**
 * A private PostgreSQL cluster for one test file: Debian's PostgreSQL 15
 * binaries (`initdb`, `pg_ctl`), a temp folder, a free loopback port, trust
 * auth for one superuser, fsync off (the data is thrown away). PostgreSQL
 * refuses to run as root, so under root the cluster runs as the `postgres`
 * system user (runuser). `stop()` stops it and removes the folder.
 *
 * @example
 * const pg = await startPrivatePostgres()
 * // … pg.url is postgresql://hearth@127.0.0.1:<port>/postgres
 * await pg.stop()
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { freePort } from '../helpers/test-server.js'

const run = promisify(execFile)
/** Debian's PostgreSQL binaries (the newest installed major), or HEARTH_PG_BIN. */
const BIN =
  process.env.HEARTH_PG_BIN ??
  (fs.existsSync('/usr/lib/postgresql')
    ? fs
        .readdirSync('/usr/lib/postgresql')
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => `/usr/lib/postgresql/${v}/bin`)[0]
    : undefined) ??
  '/usr/lib/postgresql/15/bin'

export interface PrivatePostgres {
  url: string
  stop(): Promise<void>
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  if (!fs.existsSync(path.join(BIN, 'initdb'))) {
    throw new Error(`PostgreSQL binaries not found in ${BIN}: apt-get install postgresql (or set HEARTH_PG_BIN)`)
  }
  const asRoot = process.getuid?.() === 0
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-pg-'))
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres'])
    const uid = Number(stdout.trim())
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim())
    fs.chownSync(dir, uid, gid)
  }
  const pg = (bin: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', path.join(BIN, bin), ...args]) : run(path.join(BIN, bin), args)
  const data = path.join(dir, 'data')
  await pg('initdb', ['-D', data, '-U', 'hearth', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C'])
  const port = await freePort()
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`
  await pg('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start'])
  let stopped = false
  return {
    url: `postgresql://hearth@127.0.0.1:${port}/postgres`,
    async stop() {
      if (stopped) return
      stopped = true
      await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {})
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

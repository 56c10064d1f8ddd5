/**
 * Online backup of a whole Hearth to a folder, and restore into an empty data
 * folder.
 *
 * A backup folder holds:
 * - `hearth.sqlite`: SQLite's online backup API (better-sqlite3 `db.backup()`),
 *   a consistent snapshot taken while the server keeps writing: accounts,
 *   repositories, the event log and its seq counter (so a restored server goes
 *   on above the last seq it had served);
 * - `blobs/`: the blob files, copied after the snapshot, so every blob the
 *   snapshot references is there (later uploads may ride along, unreferenced;
 *   uploads still in the temporary area are left out: the restored server's
 *   collector drops their rows). With the S3 store there is no `blobs/`:
 *   the objects stay in the bucket, left to the object store's own
 *   replication and versioning, and the manifest says so;
 * - `secrets/`: the generated secrets (those given in the environment are
 *   not on disk: give them again when starting the restored server);
 * - `plc/operations.jsonl`: the embedded PLC directory's log, copied after
 *   the snapshot (a DID reaches the directory before its account reaches the
 *   database, so every account in the snapshot has its DID);
 * - `backup.json`: the manifest, written last; a folder without it is not a
 *   finished backup.
 *
 * @example
 * const manifest = await backupServer({ db: ctx.db, config: ctx.config, dest: '/backups/hearth-2024-06-01' })
 * restoreBackup('/backups/hearth-2024-06-01', '/srv/hearth-data') // then start Hearth on that folder
 */
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import type { Db } from '../db/open-database.js'
import type { Config } from '../config.js'

export const MANIFEST = 'backup.json'
const DATABASE = 'hearth.sqlite'

export interface BackupManifest {
  format: 'hearth-backup-1'
  createdAt: string
  /** Newest seq in the snapshot's event log (and its counter). */
  lastSeq: number
  accounts: number
  /** Where the blobs were: copied from the data folder, or left in the S3 bucket (`note` says so). */
  blobs: { store: 'disk' | 's3'; files: number; bytes: number; note?: string }
  databaseBytes: number
  /** Secret files copied from `<dataDir>/secrets`. */
  secrets: string[]
  /** Secrets this server took from the environment: not in the backup. */
  secretsFromEnvironment: string[]
  plcOperations: boolean
  ms: number
}

export class BackupError extends Error {}

const S3_NOTE = (config: Config) =>
  config.blobStore.kind === 's3'
    ? `Blobs are in the S3 bucket ${config.blobStore.bucket} and are not in this backup: they are left to the object store's own replication (enable versioning or replication there). A restored server must use the same bucket.`
    : undefined

/** Takes an online backup into `dest` (absent or empty). */
export async function backupServer(opts: { db: Db; config: Config; dest: string }): Promise<BackupManifest> {
  const started = Date.now()
  const { db, config } = opts
  const dest = path.resolve(opts.dest)
  prepareEmptyFolder(dest, 'backup destination')

  const dbFile = path.join(dest, DATABASE)
  await db.backup(dbFile)
  fs.chmodSync(dbFile, 0o600)
  const snapshot = readSnapshot(dbFile)

  const onDisk = config.blobStore.kind === 'disk'
  const blobs = onDisk
    ? await copyTree(path.join(config.dataDir, 'blobs'), path.join(dest, 'blobs'), (rel) => rel.split(path.sep)[0] !== 'tmp')
    : { files: [], bytes: 0 }
  const secrets = await copyTree(path.join(config.dataDir, 'secrets'), path.join(dest, 'secrets'))
  const plcFile = path.join(config.dataDir, 'plc', 'operations.jsonl')
  const plcOperations = fs.existsSync(plcFile)
  if (plcOperations) {
    fs.mkdirSync(path.join(dest, 'plc'), { mode: 0o700 })
    await fs.promises.copyFile(plcFile, path.join(dest, 'plc', 'operations.jsonl'))
    fs.chmodSync(path.join(dest, 'plc', 'operations.jsonl'), 0o600)
  }

  const manifest: BackupManifest = {
    format: 'hearth-backup-1',
    createdAt: new Date().toISOString(),
    lastSeq: snapshot.lastSeq,
    accounts: snapshot.accounts,
    blobs: onDisk
      ? { store: 'disk', files: blobs.files.length, bytes: blobs.bytes }
      : { store: 's3', files: 0, bytes: 0, note: S3_NOTE(config) },
    databaseBytes: fs.statSync(dbFile).size,
    secrets: secrets.files,
    secretsFromEnvironment: Object.entries(config.secrets)
      .filter(([, v]) => v !== undefined)
      .map(([k]) => k),
    plcOperations,
    ms: 0,
  }
  manifest.ms = Date.now() - started
  fs.writeFileSync(path.join(dest, MANIFEST), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 })
  return manifest
}

/**
 * Copies a finished backup into `dataDir` (absent or empty), ready for
 * Hearth to start on. Never writes into a folder that holds anything, so a
 * live server's data cannot be overwritten by mistake.
 */
export async function restoreBackup(backupDir: string, dataDir: string): Promise<BackupManifest> {
  const src = path.resolve(backupDir)
  const manifestFile = path.join(src, MANIFEST)
  if (!fs.existsSync(manifestFile)) throw new BackupError(`${src} is not a finished Hearth backup (no ${MANIFEST})`)
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as BackupManifest
  if (manifest.format !== 'hearth-backup-1') throw new BackupError(`Unknown backup format ${manifest.format}`)
  const dest = path.resolve(dataDir)
  prepareEmptyFolder(dest, 'data folder')
  const dbFile = path.join(dest, DATABASE)
  await fs.promises.copyFile(path.join(src, DATABASE), dbFile)
  fs.chmodSync(dbFile, 0o600)
  const check = readSnapshot(dbFile)
  if (check.lastSeq !== manifest.lastSeq) throw new BackupError(`Database seq ${check.lastSeq} does not match the manifest's ${manifest.lastSeq}`)
  await copyTree(path.join(src, 'blobs'), path.join(dest, 'blobs'))
  await copyTree(path.join(src, 'secrets'), path.join(dest, 'secrets'))
  await copyTree(path.join(src, 'plc'), path.join(dest, 'plc'))
  return manifest
}

/** Makes `dir` (0700) or checks that it is an empty folder. */
function prepareEmptyFolder(dir: string, what: string): void {
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) throw new BackupError(`The ${what} ${dir} is not a folder`)
    if (fs.readdirSync(dir).length > 0) throw new BackupError(`The ${what} ${dir} is not empty`)
    fs.chmodSync(dir, 0o700)
  } else {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  }
}

/** Checks a database copy and reads its figures. */
function readSnapshot(file: string): { lastSeq: number; accounts: number } {
  const copy = new Database(file, { readonly: true, fileMustExist: true })
  try {
    const check = copy.pragma('quick_check', { simple: true })
    if (check !== 'ok') throw new BackupError(`The database copy fails SQLite's quick_check: ${String(check)}`)
    const { seq } = copy
      .prepare(
        `SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'repo_seq'), 0),
                    COALESCE((SELECT MAX(seq) FROM repo_seq), 0)) AS seq`,
      )
      .get() as { seq: number }
    const { n } = copy.prepare('SELECT COUNT(*) AS n FROM account').get() as { n: number }
    return { lastSeq: seq, accounts: n }
  } finally {
    copy.close()
  }
}

/**
 * Copies a folder tree (files 0600, folders 0700), without blocking the event
 * loop on big blob stores. A missing source is an empty tree.
 */
async function copyTree(
  from: string,
  to: string,
  keep: (relative: string) => boolean = () => true,
): Promise<{ files: string[]; bytes: number }> {
  const files: string[] = []
  let bytes = 0
  if (!fs.existsSync(from)) return { files, bytes }
  const walk = async (rel: string) => {
    await fs.promises.mkdir(path.join(to, rel), { recursive: true, mode: 0o700 })
    for (const entry of await fs.promises.readdir(path.join(from, rel), { withFileTypes: true })) {
      const child = path.join(rel, entry.name)
      if (!keep(child)) continue
      if (entry.isDirectory()) await walk(child)
      else if (entry.isFile()) {
        const target = path.join(to, child)
        await fs.promises.copyFile(path.join(from, child), target, fs.constants.COPYFILE_FICLONE)
        await fs.promises.chmod(target, 0o600)
        bytes += (await fs.promises.stat(target)).size
        files.push(child)
      }
    }
  }
  await walk('')
  return { files, bytes }
}

/**
 * `npm run cli -- <command>`: operate a running Hearth through its control
 * socket (no token: being able to open the socket is the permission).
 *
 * The socket is --socket, else HEARTH_CONTROL_SOCKET, else
 * `${HEARTH_DATA_DIR:-./data}/control.sock`. Answers are printed as JSON on
 * stdout; progress and errors go to stderr. Exit code 0 on success, 1 when
 * the server refused, 2 for a usage mistake.
 */
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import cliProgress from 'cli-progress'
import { ControlClient, ControlError } from '../src/control/control-client.js'
import { BackupError, restoreBackup } from '../src/ops/backup.js'

const USAGE = `hearth-cli [--socket <path>] <command>

  routes                                   what the control socket offers
  status                                   version, uptime, accounts, newest seq, database size
  metrics                                  Prometheus metrics text
  accounts list [--limit N] [--cursor DID]
  accounts create <handle> [--email E] [--password P]
  accounts show <account>                  account = DID, handle or email
  accounts deactivate <account>
  accounts takedown <account>
  accounts rotate-key <account>
  accounts activate <account>
  accounts delete <account> --yes          deletes the account and all its data
  invites list
  invites create [--uses N] [--count N]
  invites disable <code>
  ingest <account> <file> --collection <nsid> [--batch N] [--validate]
  ingest <account> <file> --scope <name> [--batch N] [--key-field F]
                                           file: a JSON array or object, or NDJSON (.ndjson/.jsonl);
                                           --scope writes private scope records (e.g. instagram.profile);
                                           --key-field: each object's F is its key (re-ingest updates it)
  scopes delete-record <account> <scope> <key>
  scopes delete-before <account> <date> [--scope <name>]   everything collected before date (all scopes without --scope)
  scopes delete <account> <scope> --yes    a whole scope with everything in it (erased)
  scopes upload <account> <scope> <file> [--type <mime>]   a file into a scope → its blob reference
  export <account> <out.car>               the account's repository as a CAR file
  backup <folder>                          online backup into an absent or empty folder
  restore <backup-folder> <data-folder>    offline: copy a backup into an empty data folder
  crawl                                    ask the relays in HEARTH_CRAWLERS to crawl now
`

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      socket: { type: 'string' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      uses: { type: 'string' },
      count: { type: 'string' },
      collection: { type: 'string' },
      scope: { type: 'string' },
      type: { type: 'string' },
      'key-field': { type: 'string' },
      batch: { type: 'string' },
      validate: { type: 'boolean' },
      yes: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const [command, ...args] = positionals
  if (values.help || !command) {
    process.stdout.write(USAGE)
    return
  }
  const socket = values.socket ?? process.env.HEARTH_CONTROL_SOCKET ?? path.join(process.env.HEARTH_DATA_DIR || './data', 'control.sock')
  const control = new ControlClient(path.resolve(socket))
  const arg = (i: number, name: string) => {
    const v = args[i]
    if (!v) throw new UsageError(`${command}: missing <${name}>`)
    return v
  }
  const account = (i: number) => encodeURIComponent(arg(i, 'account'))

  switch (command) {
    case 'routes':
      return print(await control.json('GET', '/'))
    case 'status':
      return print(await control.json('GET', '/status'))
    case 'metrics':
      process.stdout.write(await control.text('GET', '/metrics'))
      return
    case 'accounts': {
      const sub = arg(0, 'list|create|show|deactivate|takedown|activate|rotate-key|delete')
      if (sub === 'list') {
        const q = new URLSearchParams()
        if (values.limit) q.set('limit', values.limit)
        if (values.cursor) q.set('cursor', values.cursor)
        return print(await control.json('GET', `/accounts?${q}`))
      }
      if (sub === 'create') {
        return print(await control.json('POST', '/accounts', { handle: arg(1, 'handle'), email: values.email, password: values.password }))
      }
      if (sub === 'show') return print(await control.json('GET', `/accounts/${account(1)}`))
      if (sub === 'deactivate' || sub === 'activate' || sub === 'takedown' || sub === 'rotate-key') {
        return print(await control.json('POST', `/accounts/${account(1)}/${sub}`))
      }
      if (sub === 'delete') {
        if (!values.yes) throw new UsageError('accounts delete removes the account and all its data for good: add --yes')
        const found = await control.json<{ did: string }>('GET', `/accounts/${account(1)}`)
        return print(await control.json('DELETE', `/accounts/${encodeURIComponent(found.did)}?confirm=${encodeURIComponent(found.did)}`))
      }
      throw new UsageError(`accounts: unknown subcommand ${sub}`)
    }
    case 'invites': {
      const sub = arg(0, 'list|create|disable')
      if (sub === 'list') return print(await control.json('GET', '/invites'))
      if (sub === 'create') {
        return print(await control.json('POST', '/invites', { uses: intFlag(values.uses, 'uses'), count: intFlag(values.count, 'count') }))
      }
      if (sub === 'disable') return print(await control.json('POST', `/invites/${encodeURIComponent(arg(1, 'code'))}/disable`))
      throw new UsageError(`invites: unknown subcommand ${sub}`)
    }
    case 'ingest': {
      if (!values.collection === !values.scope) throw new UsageError('ingest: give --collection <nsid> or --scope <name>')
      return print(
        await ingestFile(control, {
          repo: arg(0, 'account'),
          file: arg(1, 'file'),
          collection: values.collection,
          scope: values.scope,
          batch: intFlag(values.batch, 'batch') ?? 500,
          validate: values.validate,
          keyField: values['key-field'],
        }),
      )
    }
    case 'scopes': {
      const sub = arg(0, 'delete-record|delete-before|delete|upload')
      const scope = () => encodeURIComponent(arg(2, 'scope'))
      if (sub === 'delete-record') return print(await control.json('DELETE', `/scopes/${account(1)}/${scope()}/records/${encodeURIComponent(arg(3, 'key'))}`))
      if (sub === 'delete-before') return print(await control.json('POST', `/scopes/${account(1)}/delete-before`, { before: arg(2, 'date'), scope: values.scope }))
      if (sub === 'delete') {
        if (!values.yes) throw new UsageError('scopes delete erases the whole scope for good: add --yes')
        return print(await control.json('DELETE', `/scopes/${account(1)}/${scope()}`))
      }
      if (sub === 'upload') {
        const file = arg(3, 'file')
        const bytes = fs.readFileSync(file)
        return print(await control.upload(`/scopes/${account(1)}/${scope()}/blobs`, bytes, values.type ?? 'application/octet-stream'))
      }
      throw new UsageError(`scopes: unknown subcommand ${sub}`)
    }
    case 'export': {
      const out = path.resolve(arg(1, 'out.car'))
      const res = await control.request('GET', `/accounts/${account(0)}/repo.car`)
      if (res.statusCode !== 200) {
        const body = JSON.parse((await text(res)) || '{}')
        throw new ControlError(res.statusCode ?? 0, body.error ?? 'Error', body.message ?? `HTTP ${res.statusCode}`)
      }
      await pipeline(res, fs.createWriteStream(out, { mode: 0o600 }))
      return print({ did: res.headers['x-hearth-did'], file: out, bytes: fs.statSync(out).size })
    }
    case 'backup':
      return print(await control.json('POST', '/backup', { dest: path.resolve(arg(0, 'folder')) }))
    case 'restore':
      return print(await restoreBackup(arg(0, 'backup-folder'), arg(1, 'data-folder')))
    case 'crawl':
      return print(await control.json('POST', '/crawl'))
    default:
      throw new UsageError(`unknown command ${command}`)
  }
}

interface IngestOptions {
  repo: string
  file: string
  collection?: string
  scope?: string
  batch: number
  validate?: boolean
  /** Scopes: each object's key is this field's value (the same key again updates that record). */
  keyField?: string
}

function keyOf(data: unknown, field: string): string {
  const v = (data as Record<string, unknown>)?.[field]
  if (typeof v !== 'string' && typeof v !== 'number') throw new UsageError(`--key-field ${field}: an object has no string or number ${field}`)
  return String(v)
}

/** Sends the file's objects in batches (one commit each), with a progress bar on a terminal. */
async function ingestFile(control: ControlClient, opts: IngestOptions) {
  if (opts.batch < 1 || opts.batch > 5000) throw new UsageError('--batch must be from 1 to 5000')
  const total = await countRecords(opts.file)
  const bar = new cliProgress.SingleBar(
    { format: 'ingest [{bar}] {value}/{total} records | {eta_formatted} left', stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  )
  bar.start(total, 0)
  let written = 0
  let commits = 0
  let rev: string | undefined
  let batch: unknown[] = []
  const flush = async () => {
    if (batch.length === 0) return
    try {
      const res = await control.json<{ commit: { rev: string }; committed?: boolean }>('POST', '/ingest', {
        repo: opts.repo,
        ...(opts.scope ? { scope: opts.scope } : { collection: opts.collection }),
        ...(opts.keyField ? { items: batch.map((data) => ({ key: keyOf(data, opts.keyField!), data })) } : { records: batch }),
        ...(opts.validate ? { validate: true } : {}),
      })
      rev = res.commit.rev
      if (res.committed === false) commits-- // every object unchanged: no commit
    } catch (err) {
      bar.stop()
      if (err instanceof ControlError) {
        throw new ControlError(err.status, err.error, `${err.message} (records ${written + 1}–${written + batch.length}; the ${written} before them are written)`, err.headers)
      }
      throw err
    }
    written += batch.length
    commits++
    bar.update(written)
    batch = []
  }
  for await (const record of readRecords(opts.file)) {
    batch.push(record)
    if (batch.length >= opts.batch) await flush()
  }
  await flush()
  bar.stop()
  return { repo: opts.repo, ...(opts.scope ? { scope: opts.scope } : { collection: opts.collection }), records: written, commits, rev }
}

const isNdjson = (file: string) => /\.(ndjson|jsonl)$/i.test(file)

/** The file's objects: a JSON array's items, one JSON object, or one per NDJSON line. */
async function* readRecords(file: string): AsyncGenerator<unknown> {
  if (isNdjson(file)) {
    let line = 0
    const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })
    for await (const text of lines) {
      line++
      if (!text.trim()) continue
      try {
        yield JSON.parse(text)
      } catch {
        throw new UsageError(`${file}:${line}: not valid JSON`)
      }
    }
    return
  }
  let value: unknown
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch {
    throw new UsageError(`${file}: not valid JSON (for one object per line, name the file .ndjson or .jsonl)`)
  }
  if (Array.isArray(value)) yield* value
  else yield value
}

async function countRecords(file: string): Promise<number> {
  let n = 0
  if (isNdjson(file)) {
    for await (const text of readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })) if (text.trim()) n++
    return n
  }
  for await (const _ of readRecords(file)) n++
  return n
}

function intFlag(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number`)
  return Number(raw)
}

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer))
  return Buffer.concat(chunks).toString('utf8')
}

function print(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n')
}

main(process.argv.slice(2)).catch((err) => {
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`hearth-cli: ${(err as Error).message}\n\n${USAGE}`)
    process.exit(2)
  }
  if (err instanceof ControlError) {
    process.stderr.write(`hearth-cli: ${err.error}: ${err.message}\n`)
    process.exit(1)
  }
  if (err instanceof BackupError) {
    process.stderr.write(`hearth-cli: ${err.message}\n`)
    process.exit(1)
  }
  process.stderr.write(`hearth-cli: ${(err as Error).stack ?? err}\n`)
  process.exit(1)
})

/**
 * Ingest: a batch of JSON objects becomes records of one scope repository in
 * one signed commit (with its #commit event, tagged with the scope), or
 * nothing is written. Every object is checked and encoded before the scope
 * repository is touched, so a bad object anywhere in the batch fails the
 * call with a 400 that names it and leaves the scope as it was. The scope
 * repository is made (its first, empty commit) on first use.
 *
 * An item may carry a key (a record key): the same key again replaces the
 * record (an update op, `prev` set), and unchanged data writes nothing (a
 * batch of only unchanged items makes no commit). Without a key an item gets
 * a fresh TID. Files a record references must be files of the same scope.
 *
 * Both doors use this: `dev.hearth.scope.ingest` for the signed-in owner and
 * the control socket's `POST /ingest` for local programs.
 *
 * @example
 * const out = await ingest.ingest(did, 'instagram.profile', [{ key: 'self', data: { name: 'Ada' } }])
 * // → { scope, commit, rev, committed: true, records: [{ rkey: 'self', cid, action: 'create' }] }
 */
import type { Lexicons } from '@atproto/lexicon'
import { isValidRecordKey } from '@atproto/syntax'
import type { AccountStore } from '../account/account-store.js'
import type { SigningKeyVault } from '../account/signing-key-vault.js'
import type { RepoCommitter } from '../repo/repo-committer.js'
import type { RecordIndex } from '../repo/record-index.js'
import type { BlockTables } from '../repo/sql-repo-storage.js'
import { AccountNotFound, HearthError, invalidRequest } from '../errors/hearth-error.js'
import { prepareScopeRecord, type ScopeRecordWrite } from './prepare-scope-record.js'
import { ensureValidScopeName } from './scope-name.js'
import type { ScopeRecords } from './scope-records.js'
import type { ScopeBlobs } from './scope-blobs.js'

/** Most objects in one call: one commit's tree is built in memory. */
export const MAX_INGEST_BATCH = 10_000

export interface IngestItem {
  /** A record key; absent: a fresh TID. */
  key?: string
  data: unknown
}

export interface IngestResult {
  scope: string
  commit: string
  rev: string
  /** false when every item was unchanged: no commit was made (commit/rev are the scope's head). */
  committed: boolean
  records: { rkey: string; cid: string; action: 'create' | 'update' | 'unchanged' }[]
}

export interface ScopeIngestDeps {
  accounts: AccountStore
  vault: SigningKeyVault
  committer: RepoCommitter
  tables: BlockTables
  records: RecordIndex
  lexicons: Lexicons
  scopeRecords: ScopeRecords
  scopeBlobs: ScopeBlobs
}

class ScopeRepoExists extends Error {}

/** Throws 400 InvalidRecordKey unless `key` is a record key. */
export function ensureValidIngestKey(key: unknown, where = 'key'): string {
  if (typeof key === 'string' && isValidRecordKey(key)) return key
  const shown = typeof key === 'string' ? `"${key.slice(0, 80)}"` : typeof key
  throw new HearthError('invalid', 'InvalidRecordKey', `${where} ${shown} is not a record key: 1-512 characters of A-Z a-z 0-9 . - _ : ~, not "." or ".."`)
}

export class ScopeIngest {
  constructor(private deps: ScopeIngestDeps) {}

  /** Writes `items` into `did`'s scope as one commit (none if nothing changed). */
  async ingest(did: string, scope: string, items: IngestItem[]): Promise<IngestResult> {
    try {
      return await this.ingestOnce(did, scope, items)
    } catch (err) {
      // Keys are sorted into create/update before the scope's write lock is taken: a concurrent ingest of the
      // same key can get there first, which the committer catches. Sorting again once settles it.
      if (err instanceof HearthError && /^(Record already exists|No record at)/.test(err.message)) return this.ingestOnce(did, scope, items)
      throw err
    }
  }

  private async ingestOnce(did: string, scope: string, items: IngestItem[]): Promise<IngestResult> {
    ensureValidScopeName(scope)
    const { accounts, records, scopeRecords, scopeBlobs, committer, tables } = this.deps
    const account = accounts.get(did)
    if (!account) throw new AccountNotFound(`No account ${did}`)
    if (account.status !== 'active') throw invalidRequest(`Account ${did} is ${account.status}`, 'AccountDeactivated')
    if (items.length === 0) throw invalidRequest('data must hold at least one object', 'InvalidRecord')
    if (items.length > MAX_INGEST_BATCH) {
      throw invalidRequest(`At most ${MAX_INGEST_BATCH} objects per call (got ${items.length}): split the batch`, 'BatchTooLarge')
    }
    const many = items.length > 1
    const keys = new Set<string>()
    items.forEach((item, i) => {
      if (item.key === undefined) return
      const key = ensureValidIngestKey(item.key, many ? `items[${i}].key` : 'key')
      if (keys.has(key)) throw invalidRequest(`key "${key}" appears twice in one batch`, 'InvalidRecordKey')
      keys.add(key)
    })
    const collectedAt = new Date().toISOString()
    const out: IngestResult['records'] = []
    const writes: ScopeRecordWrite[] = []
    items.forEach((item, i) => {
      try {
        const current = item.key === undefined ? null : records.get(did, scope, scope, item.key)
        if (!current) {
          const w = prepareScopeRecord(scope, item.data, collectedAt, this.deps.lexicons, item.key)
          scopeBlobs.assertUsable(did, scope, w.scopeBlobs)
          writes.push(w)
          out.push({ rkey: w.rkey, cid: w.cid.toString(), action: 'create' })
          return
        }
        // Unchanged means: the same record as stored, were it collected when the stored one was.
        const before = scopeRecords.collectedAt(did, scope, item.key!)
        if (before) {
          const same = prepareScopeRecord(scope, item.data, before, this.deps.lexicons, item.key)
          if (same.cid.toString() === current.cid) {
            out.push({ rkey: item.key!, cid: current.cid, action: 'unchanged' })
            return
          }
        }
        const w = prepareScopeRecord(scope, item.data, collectedAt, this.deps.lexicons, item.key, 'update')
        scopeBlobs.assertUsable(did, scope, w.scopeBlobs)
        w.swapCid = undefined
        writes.push(w)
        out.push({ rkey: w.rkey, cid: w.cid.toString(), action: 'update' })
      } catch (err) {
        if (err instanceof HearthError && many) err.message = `data[${i}]: ${err.message.replace(/^data: /, '')}`
        throw err
      }
    })
    await this.ensureScopeRepo(did, scope)
    if (writes.length === 0) {
      const head = tables.getRoot.get(did, scope)!
      return { scope, commit: head.cid, rev: head.rev, committed: false, records: out }
    }
    let orphans: string[] = []
    const { commit } = await committer.applyWrites(did, writes, {
      scope,
      alsoInTransaction: () => {
        for (const w of writes) {
          scopeRecords.put(did, scope, w.rkey, collectedAt)
          orphans = orphans.concat(scopeBlobs.relink(did, scope, w.rkey, w.scopeBlobs.map((b) => b.cid)))
        }
      },
    })
    await scopeBlobs.removeFiles(did, orphans)
    return { scope, commit: commit.cid, rev: commit.rev, committed: true, records: out }
  }

  /** Makes the scope repository's first commit unless it exists (checked again under its write lock). */
  private async ensureScopeRepo(did: string, scope: string): Promise<void> {
    const { tables, committer, vault, accounts } = this.deps
    if (tables.getRoot.get(did, scope)) return
    const account = accounts.get(did)
    if (!account) throw new AccountNotFound(`No account ${did}`)
    const keypair = await vault.keypair(did, account.signingKeyEnc)
    try {
      await committer.createRepo(
        did,
        keypair,
        () => {
          if (tables.getRoot.get(did, scope)) throw new ScopeRepoExists()
        },
        scope,
      )
    } catch (err) {
      if (!(err instanceof ScopeRepoExists)) throw err
    }
  }
}

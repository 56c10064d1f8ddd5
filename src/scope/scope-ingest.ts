/**
 * Ingest: a batch of JSON objects becomes records of one scope repository in
 * one signed commit (with its #commit event, tagged with the scope), or
 * nothing is written. Every object is checked and encoded before the scope
 * repository is touched, so a bad object anywhere in the batch fails the
 * call with a 400 that names it and leaves the scope as it was. The scope
 * repository is made (its first, empty commit) on first use.
 *
 * Both doors use this: `dev.hearth.scope.ingest` for the signed-in owner and
 * the control socket's `POST /ingest` for local programs.
 *
 * @example
 * const out = await ingest.ingest(did, 'instagram.profile', [{ name: 'Ada' }])
 * // → { scope, commit, rev, records: [{ rkey, cid }] }
 */
import type { Lexicons } from '@atproto/lexicon'
import type { AccountStore } from '../account/account-store.js'
import type { SigningKeyVault } from '../account/signing-key-vault.js'
import type { RepoCommitter } from '../repo/repo-committer.js'
import type { BlockTables } from '../repo/sql-repo-storage.js'
import { AccountNotFound, HearthError, invalidRequest } from '../errors/hearth-error.js'
import { prepareScopeRecord } from './prepare-scope-record.js'
import { ensureValidScopeName } from './scope-name.js'

/** Most objects in one call: one commit's tree is built in memory. */
export const MAX_INGEST_BATCH = 10_000

export interface IngestResult {
  scope: string
  commit: string
  rev: string
  records: { rkey: string; cid: string }[]
}

export interface ScopeIngestDeps {
  accounts: AccountStore
  vault: SigningKeyVault
  committer: RepoCommitter
  tables: BlockTables
  lexicons: Lexicons
}

class ScopeRepoExists extends Error {}

export class ScopeIngest {
  constructor(private deps: ScopeIngestDeps) {}

  /** Writes `items` (JSON objects) into `did`'s scope as one commit. */
  async ingest(did: string, scope: string, items: unknown[]): Promise<IngestResult> {
    ensureValidScopeName(scope)
    const account = this.deps.accounts.get(did)
    if (!account) throw new AccountNotFound(`No account ${did}`)
    if (account.status !== 'active') throw invalidRequest(`Account ${did} is ${account.status}`, 'AccountDeactivated')
    if (items.length === 0) throw invalidRequest('data must hold at least one object', 'InvalidRecord')
    if (items.length > MAX_INGEST_BATCH) {
      throw invalidRequest(`At most ${MAX_INGEST_BATCH} objects per call (got ${items.length}): split the batch`, 'BatchTooLarge')
    }
    const collectedAt = new Date().toISOString()
    const writes = items.map((item, i) => {
      try {
        return prepareScopeRecord(scope, item, collectedAt, this.deps.lexicons)
      } catch (err) {
        if (err instanceof HearthError && items.length > 1) err.message = `data[${i}]: ${err.message}`
        throw err
      }
    })
    await this.ensureScopeRepo(did, scope)
    const { commit, results } = await this.deps.committer.applyWrites(did, writes, { scope })
    return { scope, commit: commit.cid, rev: commit.rev, records: results.map((r) => ({ rkey: r.rkey, cid: r.cid! })) }
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

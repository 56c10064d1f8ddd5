/**
 * Deleting an account for good (the operator's `accounts delete`): under the
 * repository's write lock and in one transaction, every row of its
 * repositories (public and scopes), its blobs index, its past events, and
 * the account row itself (which cascades to app passwords, refresh tokens,
 * linked sign-ins and web sessions), plus one `#account` event
 * `{ active: false, status: 'deleted' }` so relays drop it too. Blob files go
 * after the transaction has committed. The DID stays in the PLC directory.
 *
 * @example
 * await new AccountRemoval(ctx).remove(did)
 */
import { scopeBlobNamespace } from '../scope/scope-blobs.js'
import type { Db } from '../db/open-database.js'
import type { EventLog } from '../sequencer/event-log.js'
import type { BlobStore } from '../blob/blob-store.js'
import type { RepoLock } from '../repo/repo-lock.js'

/** Tables of repository data, each keyed by `did` with no foreign key to the account. */
const REPO_TABLES = ['repo_block', 'repo_root', 'record', 'record_blob', 'blob', 'repo_seq', 'scope_record', 'scope_blob', 'scope_record_blob'] as const

export class AccountRemoval {
  constructor(private deps: { db: Db; eventLog: EventLog; blobStore: BlobStore; repoLock: RepoLock; committer: { forget(did: string): void }; accounts: { forget(did: string): void }; vault: { forget(did: string): void }; scopes: { grants: { version: number } } }) {}

  async remove(did: string): Promise<void> {
    const { db, eventLog, blobStore, repoLock, committer, accounts, vault, scopes } = this.deps
    const deletes = REPO_TABLES.map((table) => db.prepare(`DELETE FROM ${table} WHERE did = ?`))
    const deleteAccount = db.prepare('DELETE FROM account WHERE did = ?')
    await repoLock.run(did, async () => {
      eventLog.transaction(() => {
        for (const stmt of deletes) stmt.run(did)
        deleteAccount.run(did)
        eventLog.appendAccount(did, false, 'deleted')
      })
      committer.forget(did)
      accounts.forget(did)
      vault.forget(did)
      // Its grants went with the account (ON DELETE CASCADE): the scoped firehose's cached copy must go too.
      scopes.grants.version++
    })
    blobStore.deleteAccount(did)
    blobStore.deleteAccount(scopeBlobNamespace(did))
  }
}

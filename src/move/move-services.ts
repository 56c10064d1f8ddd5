/**
 * Everything an account moving in or out needs, built once by createContext.
 */
import type { IdResolver } from '@atproto/identity'
import type { Config } from '../config.js'
import type { Db } from '../db/open-database.js'
import type { Logger } from '../logger.js'
import type { AccountStore } from '../account/account-store.js'
import type { InviteCodes } from '../account/invite-codes.js'
import type { SigningKeyVault } from '../account/signing-key-vault.js'
import type { AccountService } from '../account/account-service.js'
import type { ServiceJwtVerifier } from '../auth/service-jwt.js'
import type { EventLog } from '../sequencer/event-log.js'
import type { PlcDirectory } from '../identity/plc-directory.js'
import type { BlockTables } from '../repo/sql-repo-storage.js'
import type { RecordIndex } from '../repo/record-index.js'
import type { RepoLock } from '../repo/repo-lock.js'
import type { RepoCommitter } from '../repo/repo-committer.js'
import type { BlobIndex } from '../blob/blob-index.js'
import { RepoReplacer } from '../repo/repo-replace.js'
import { RepoImport } from './repo-import.js'
import { ImportStaging } from './import-staging.js'
import { IncomingAccounts } from './incoming-account.js'
import { PlcOperations } from './plc-operations.js'
import { PlcOperationTokens } from './plc-operation-tokens.js'
import { MoveStatus } from './move-status.js'
import { MoveInJobs } from './move-in-jobs.js'
import { MoveInJobStore } from './move-in-job-store.js'
import type { SessionTokens } from '../auth/session-tokens.js'

export interface MoveServices {
  repoImport: RepoImport
  incoming: IncomingAccounts
  plcOps: PlcOperations
  plcTokens: PlcOperationTokens
  status: MoveStatus
  /** Moves in started from the web page (background jobs). */
  moveIns: MoveInJobs
}

export interface MoveServiceDeps {
  config: Config
  db: Db
  logger: Logger
  accounts: AccountStore
  invites: InviteCodes
  vault: SigningKeyVault
  accountService: AccountService
  serviceJwt: ServiceJwtVerifier
  idResolver: IdResolver
  eventLog: EventLog
  plc: PlcDirectory
  tables: BlockTables
  records: RecordIndex
  blobs: BlobIndex
  lock: RepoLock
  committer: RepoCommitter
  tokens: SessionTokens
}

export function createMoveServices(d: MoveServiceDeps): MoveServices {
  const keypair = async (did: string) => {
    const account = d.accounts.get(did)
    if (!account) throw new Error(`no account ${did}`)
    return d.vault.keypair(did, account.signingKeyEnc)
  }
  const plcTokens = new PlcOperationTokens(d.db)
  // No import runs yet: whatever is staged was left by one a crash cut short.
  const staging = new ImportStaging(d.db)
  const purged = staging.purgeAll()
  if (purged > 0) d.logger.info({ blocks: purged }, 'importRepo: deleted the staged blocks of an import cut short')
  return {
    repoImport: new RepoImport({
      idResolver: d.idResolver,
      replacer: new RepoReplacer(d.db, d.tables, d.records, d.blobs),
      tables: d.tables,
      lock: d.lock,
      committer: d.committer,
      eventLog: d.eventLog,
      logger: d.logger,
      keypair,
      maxBytes: d.config.maxImportBytes,
      staging,
    }),
    incoming: new IncomingAccounts({ ...d, serviceJwt: d.serviceJwt }),
    plcOps: new PlcOperations({ config: d.config, vault: d.vault, plc: d.plc, tokens: plcTokens, eventLog: d.eventLog }),
    plcTokens,
    status: new MoveStatus(d.db),
    moveIns: new MoveInJobs({
      config: d.config,
      logger: d.logger,
      accounts: d.accounts,
      tokens: d.tokens,
      serviceJwt: d.serviceJwt,
      idResolver: d.idResolver,
      store: new MoveInJobStore(d.db),
    }),
  }
}

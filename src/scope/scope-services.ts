/**
 * Everything scopes and grants need, built once (by createContext) over the
 * server's database: ingest, erasure, files, the scope catalog, grants and their in-memory
 * index for the scoped firehose, access requests, the read log, and the
 * inter-service JWT verifier apps authenticate with.
 */
import type { Lexicons } from '@atproto/lexicon'
import type { IdResolver } from '@atproto/identity'
import type { Db } from '../db/open-database.js'
import type { AccountStore } from '../account/account-store.js'
import type { SigningKeyVault } from '../account/signing-key-vault.js'
import type { RepoCommitter } from '../repo/repo-committer.js'
import type { BlockTables } from '../repo/sql-repo-storage.js'
import { ServiceJwtVerifier } from '../auth/service-jwt.js'
import { GrantStore } from '../grant/grant-store.js'
import { GrantIndex } from '../grant/grant-index.js'
import { AccessRequests } from '../grant/access-requests.js'
import { ReadLog } from '../grant/read-log.js'
import { ScopeIngest } from './scope-ingest.js'
import { ScopeCatalog } from './scope-catalog.js'
import { ScopeRecords } from './scope-records.js'
import { ScopeBlobs } from './scope-blobs.js'
import { ScopeDeletions } from './scope-deletions.js'
import { ScopeEraser } from './scope-eraser.js'
import type { RecordIndex } from '../repo/record-index.js'
import type { RepoLock } from '../repo/repo-lock.js'
import type { BlobStore } from '../blob/blob-store.js'

export interface ScopeServices {
  ingest: ScopeIngest
  catalog: ScopeCatalog
  /** When each scope record was collected: newest-first pages, "before a date". */
  records: ScopeRecords
  /** Files kept in scopes (never public blobs). */
  blobs: ScopeBlobs
  /** Deleting records, scopes, everything before a date — erasing the bytes. */
  eraser: ScopeEraser
  deletions: ScopeDeletions
  grants: GrantStore
  /** Active grants per app in memory, for checks on every scoped-firehose event. */
  grantIndex: GrantIndex
  requests: AccessRequests
  readLog: ReadLog
  /** Verifies apps' inter-service JWTs (aud = this server's DID). */
  serviceJwt: ServiceJwtVerifier
}

export interface ScopeServiceDeps {
  db: Db
  serviceDid: string
  accounts: AccountStore
  vault: SigningKeyVault
  committer: RepoCommitter
  tables: BlockTables
  lexicons: Lexicons
  idResolver: IdResolver
  records: RecordIndex
  blobStore: BlobStore
  lock: RepoLock
}

export function createScopeServices(deps: ScopeServiceDeps): ScopeServices {
  const grants = new GrantStore(deps.db)
  const scopeRecords = new ScopeRecords(deps.db)
  const scopeBlobs = new ScopeBlobs(deps.db, deps.blobStore)
  const deletions = new ScopeDeletions(deps.db)
  return {
    ingest: new ScopeIngest({ ...deps, scopeRecords, scopeBlobs }),
    catalog: new ScopeCatalog(deps.db),
    records: scopeRecords,
    blobs: scopeBlobs,
    eraser: new ScopeEraser({ ...deps, scopeRecords, scopeBlobs, deletions, grants }),
    deletions,
    grants,
    grantIndex: new GrantIndex(grants),
    requests: new AccessRequests(deps.db, grants),
    readLog: new ReadLog(deps.db),
    serviceJwt: new ServiceJwtVerifier({ db: deps.db, idResolver: deps.idResolver, serviceDid: deps.serviceDid }),
  }
}

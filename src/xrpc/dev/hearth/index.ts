/** Hearth's own XRPC methods: scopes (ingest, grant-gated reads, the scoped firehose) and grants. */
import ingest from './scope/ingest.js'
import listRecords from './scope/listRecords.js'
import getRecord from './scope/getRecord.js'
import getRepo from './scope/getRepo.js'
import subscribe from './scope/subscribe.js'
import deleteRecord from './scope/deleteRecord.js'
import deleteScope from './scope/deleteScope.js'
import deleteBefore from './scope/deleteBefore.js'
import uploadBlob from './scope/uploadBlob.js'
import getBlob from './scope/getBlob.js'
import create from './grant/create.js'
import list from './grant/list.js'
import revoke from './grant/revoke.js'
import requestAccess from './grant/requestAccess.js'
import getRequest from './grant/getRequest.js'

export const hearthMethods = [ingest, listRecords, getRecord, getRepo, subscribe, deleteRecord, deleteScope, deleteBefore, uploadBlob, getBlob, create, list, revoke, requestAccess, getRequest]

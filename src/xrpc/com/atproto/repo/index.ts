import createRecord from './createRecord.js'
import putRecord from './putRecord.js'
import deleteRecord from './deleteRecord.js'
import applyWrites from './applyWrites.js'
import getRecord from './getRecord.js'
import listRecords from './listRecords.js'
import describeRepo from './describeRepo.js'
import uploadBlob from './uploadBlob.js'
import importRepo from './importRepo.js'
import listMissingBlobs from './listMissingBlobs.js'

export const repoMethods = [createRecord, putRecord, deleteRecord, applyWrites, getRecord, listRecords, describeRepo, uploadBlob, importRepo, listMissingBlobs]

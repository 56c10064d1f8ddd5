import getRepo from './getRepo.js'
import getLatestCommit from './getLatestCommit.js'
import getRecord from './getRecord.js'
import getBlocks from './getBlocks.js'
import listRepos from './listRepos.js'
import getRepoStatus from './getRepoStatus.js'
import getBlob from './getBlob.js'
import listBlobs from './listBlobs.js'

export const syncMethods = [getRepo, getLatestCommit, getRecord, getBlocks, listRepos, getRepoStatus, getBlob, listBlobs]
